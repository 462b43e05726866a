/**
 * etcd's gRPC receive limit with grpc-go's words. grpc-js refuses an
 * oversized message with its own text ("Received message larger than max
 * (N vs M)"); etcd clients see grpc-go's, so the server takes messages of
 * any size from grpc-js and refuses the big ones itself:
 *
 *   Put of 2,200,000 bytes → RESOURCE_EXHAUSTED
 *     "grpc: received message larger than max (2200010 vs. 2097152)"
 *
 * A unary call answers with that status; a stream (Watch, LeaseKeepAlive)
 * ends with it, as grpc-go's Recv error ends etcd's stream handlers.
 */
import * as grpc from '@grpc/grpc-js';

/** What the deserializer hands over instead of a message that is too large. */
class TooLarge {
  constructor(readonly bytes: number) {}
}

function tooLargeStatus(message: TooLarge, maxBytes: number): Partial<grpc.StatusObject> {
  return {
    code: grpc.status.RESOURCE_EXHAUSTED,
    details: `grpc: received message larger than max (${message.bytes} vs. ${maxBytes})`,
  };
}

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;
type Handler = (call: AnyCall, callback?: grpc.sendUnaryData<unknown>) => void;

/**
 * The service definition and implementation, with messages over `maxBytes`
 * refused as grpc-go refuses them. Serve with 'grpc.max_receive_message_length': -1.
 */
export function limitReceivedMessages(
  definition: grpc.ServiceDefinition,
  implementation: grpc.UntypedServiceImplementation,
  maxBytes: number,
): [grpc.ServiceDefinition, grpc.UntypedServiceImplementation] {
  const limitedDefinition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const limitedImplementation: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const deserialize = method.requestDeserialize;
    limitedDefinition[name] = {
      // tidy: allow spread (built once per service, at start-up)
      ...method,
      requestDeserialize: (buffer: Buffer) => (buffer.length > maxBytes ? new TooLarge(buffer.length) : deserialize(buffer)),
    };
    const handler = implementation[name] as Handler | undefined;
    if (handler === undefined) continue;
    if (!method.requestStream) {
      limitedImplementation[name] = ((call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        if (call.request instanceof TooLarge) callback(tooLargeStatus(call.request, maxBytes));
        else handler(call, callback);
      }) as grpc.UntypedHandleCall;
    } else {
      limitedImplementation[name] = ((call: grpc.ServerDuplexStream<unknown, unknown>) => {
        // Every 'data' listener the handler adds sees only messages that fit; the first too large one ends the stream.
        let ended = false;
        const on = call.on.bind(call);
        call.on = ((event: string, listener: (...args: unknown[]) => void) => {
          if (event !== 'data') return on(event, listener);
          return on('data', (message: unknown) => {
            if (ended) return;
            if (message instanceof TooLarge) {
              ended = true;
              call.emit('error', tooLargeStatus(message, maxBytes));
              return;
            }
            listener(message);
          });
        }) as typeof call.on;
        handler(call);
      }) as grpc.UntypedHandleCall;
    }
  }
  return [limitedDefinition as grpc.ServiceDefinition, limitedImplementation];
}
