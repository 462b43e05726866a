/**
 * gRPC service definitions straight from a .proto via protobufjs, built the
 * way @grpc/proto-loader builds them (same paths, stream flags, and
 * `fromObject`/`encode`, `decode`/`toObject` codecs) but without what a
 * server never uses (`originalName`, a client's camel-case alias, is left out): proto-loader also encodes a FileDescriptorProto of
 * every file for reflection clients, and loading proto-loader pulls in
 * protobufjs' descriptor extension. Skipping both is ~50–80 ms of `serve`'s
 * start-up. test/server/proto-services.test.ts checks the result against
 * proto-loader's, method by method.
 */
import { existsSync, readFileSync } from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/** What `toObject` produces (proto-loader's options of the same names). */
export type ProtoObjectOptions = protobuf.IConversionOptions;

/** Every service in `protoPath` (and its imports), by full name: `etcdserverpb.KV`. */
export function loadProtoServices(protoPath: string, objectOptions: ProtoObjectOptions): Map<string, grpc.ServiceDefinition> {
  return protoServices(loadProtoRoot(protoPath), objectOptions);
}

/**
 * The types of `protoPath` and its imports, resolved: from its descriptor
 * (`<protoPath>.json`, which `npm run build` writes beside each .proto in
 * dist/) when there is one, as reading it costs about half of parsing the
 * .proto text at start-up; otherwise from the .proto itself (running from src/).
 */
export function loadProtoRoot(protoPath: string): protobuf.Root {
  const descriptorPath = protoDescriptorPath(protoPath);
  if (existsSync(descriptorPath)) {
    const root = protobuf.Root.fromJSON(JSON.parse(readFileSync(descriptorPath, 'utf8')));
    root.resolveAll();
    return root;
  }
  return parseProto(protoPath);
}

/** Where the build writes the descriptor of `protoPath`. */
export function protoDescriptorPath(protoPath: string): string {
  return `${protoPath}.json`;
}

/** The descriptor of `protoPath` and its imports (protobufjs' JSON form, which loads back to the same types). */
export function protoDescriptorJson(protoPath: string): string {
  return JSON.stringify(parseProto(protoPath).toJSON());
}

function parseProto(protoPath: string): protobuf.Root {
  const root = new protobuf.Root();
  // keepCase: field names as the .proto spells them (proto-loader's keepCase).
  root.loadSync(protoPath, { keepCase: true });
  root.resolveAll();
  return root;
}

/** Every service in `root`, by full name. */
export function protoServices(root: protobuf.Root, objectOptions: ProtoObjectOptions): Map<string, grpc.ServiceDefinition> {
  const services = new Map<string, grpc.ServiceDefinition>();
  collectServices(root, objectOptions, services);
  return services;
}

function collectServices(namespace: protobuf.NamespaceBase, objectOptions: ProtoObjectOptions, into: Map<string, grpc.ServiceDefinition>): void {
  for (const nested of namespace.nestedArray) {
    if (nested instanceof protobuf.Service) into.set(nested.fullName.slice(1), serviceDefinition(nested, objectOptions));
    else if (nested instanceof protobuf.Namespace) collectServices(nested, objectOptions, into);
  }
}

function serviceDefinition(service: protobuf.Service, objectOptions: ProtoObjectOptions): grpc.ServiceDefinition {
  const serviceName = service.fullName.slice(1);
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    const requestType = method.resolvedRequestType!;
    const responseType = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: serializer(requestType),
      requestDeserialize: deserializer(requestType, objectOptions),
      responseSerialize: serializer(responseType),
      responseDeserialize: deserializer(responseType, objectOptions),
    };
  }
  return definition;
}

function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    // A response already encoded (grpc-encoder.ts) goes out as it is.
    if (Buffer.isBuffer(value)) return value;
    if (Array.isArray(value)) throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    return type.encode(type.fromObject(value)).finish() as Buffer;
  };
}

function deserializer(type: protobuf.Type, objectOptions: ProtoObjectOptions): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), objectOptions);
}
