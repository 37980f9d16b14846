import { join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';
import { projectRoot } from '../paths.js';

/** How messages appear in JS: camelCase fields, enum names, int64 as numbers, which-oneof fields set. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [join(projectRoot(), 'proto')],
};

/** The copt.v1 package definition, loaded from proto/. */
export function loadContract(): protoLoader.PackageDefinition {
  return protoLoader.loadSync('copt/v1/optimizer.proto', LOADER_OPTIONS);
}

/** The Optimizer service definition and a client constructor for it. */
export function optimizerService(def = loadContract()): grpc.ServiceClientConstructor {
  const pkg = grpc.loadPackageDefinition(def) as unknown as { copt: { v1: { Optimizer: grpc.ServiceClientConstructor } } };
  return pkg.copt.v1.Optimizer;
}
