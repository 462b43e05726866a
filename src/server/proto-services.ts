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
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/** What `toObject` produces (proto-loader's options of the same names). */
export type ProtoObjectOptions = protobuf.IConversionOptions;

/** Every service in `protoPath` (and its imports), by full name: `etcdserverpb.KV`. */
export function loadProtoServices(protoPath: string, objectOptions: ProtoObjectOptions): Map<string, grpc.ServiceDefinition> {
  return protoServices(loadProtoRoot(protoPath), objectOptions);
}

/** The types of `protoPath` and its imports, resolved. */
export function loadProtoRoot(protoPath: string): protobuf.Root {
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
