// The receive limit with grpc-go's words, over a real grpc-js server and client: a unary call over the
// limit is answered RESOURCE_EXHAUSTED without reaching its handler; a stream ends with that status at
// the first message over it, and its handler saw only the messages before.
import { existsSync, readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitReceivedMessages } from '../../src/server/grpc-message-limit.ts';

const maxBytes = 1000;
const bytes: Pick<grpc.MethodDefinition<Buffer, Buffer>, 'requestSerialize' | 'requestDeserialize' | 'responseSerialize' | 'responseDeserialize'> = {
  requestSerialize: (message) => message,
  requestDeserialize: (buffer) => buffer,
  responseSerialize: (message) => message,
  responseDeserialize: (buffer) => buffer,
};
const definition: grpc.ServiceDefinition = {
  Echo: { path: '/test.Limit/Echo', requestStream: false, responseStream: false, ...bytes },
  Chat: { path: '/test.Limit/Chat', requestStream: true, responseStream: true, ...bytes },
};

/** Sizes of the messages each handler was handed. */
const seen: { echo: number[]; chat: number[] } = { echo: [], chat: [] };
const implementation: grpc.UntypedServiceImplementation = {
  Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
    seen.echo.push(call.request.length);
    callback(null, Buffer.from(String(call.request.length)));
  },
  Chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
    call.on('data', (message: Buffer) => {
      seen.chat.push(message.length);
      call.write(Buffer.from(String(message.length)));
    });
    call.on('error', () => {});
  },
};

let server: grpc.Server;
let client: grpc.Client & {
  Echo(request: Buffer, callback: (error: grpc.ServiceError | null, reply: Buffer) => void): void;
  Chat(): grpc.ClientDuplexStream<Buffer, Buffer>;
};

beforeAll(async () => {
  server = new grpc.Server({ 'grpc.max_receive_message_length': -1 });
  server.addService(...limitReceivedMessages(definition, implementation, maxBytes));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const Client = grpc.makeGenericClientConstructor(definition as grpc.ServiceDefinition<grpc.UntypedServiceImplementation>, 'Limit');
  client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as typeof client;
});
afterAll(() => {
  client?.close();
  server?.forceShutdown();
});

function echo(size: number): Promise<{ reply?: string; error?: grpc.ServiceError }> {
  return new Promise((resolve) => client.Echo(Buffer.alloc(size, 1), (error, reply) => resolve(error ? { error } : { reply: reply.toString() })));
}

describe('limitReceivedMessages', () => {
  it('a unary request up to the limit is handled; one byte more is refused as grpc-go refuses it, unhandled', async () => {
    seen.echo.length = 0;
    expect(await echo(maxBytes)).toEqual({ reply: String(maxBytes) });
    const { error } = await echo(maxBytes + 1);
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(error?.details).toBe(`grpc: received message larger than max (${maxBytes + 1} vs. ${maxBytes})`);
    expect(seen.echo).toEqual([maxBytes]);
    // the service goes on
    expect(await echo(10)).toEqual({ reply: '10' });
  });

  it('a stream ends with the status at the first message over the limit; the handler saw only those before', async () => {
    seen.chat.length = 0;
    const call = client.Chat();
    const replies: string[] = [];
    const ended = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
    call.on('data', (reply: Buffer) => replies.push(reply.toString()));
    call.write(Buffer.alloc(5));
    call.write(Buffer.alloc(maxBytes));
    call.write(Buffer.alloc(maxBytes + 7));
    call.write(Buffer.alloc(6));
    const error = await ended;
    expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(error.details).toBe(`grpc: received message larger than max (${maxBytes + 7} vs. ${maxBytes})`);
    expect(seen.chat).toEqual([5, maxBytes]);
    expect(replies).toEqual(['5', String(maxBytes)]);
  });

  const rpcUtil = '/usr/share/gocode/src/google.golang.org/grpc/rpc_util.go';
  it.skipIf(!existsSync(rpcUtil))(`the text is grpc-go's (${rpcUtil})`, () => {
    expect(readFileSync(rpcUtil, 'utf8')).toContain(
      'status.Errorf(codes.ResourceExhausted, "grpc: received message larger than max (%d vs. %d)", length, maxReceiveMessageSize)',
    );
  });
});
