// bb_scheduler for tests: clients (Execute) and workers on loopback, the
// CAS on bazel-remote's gRPC endpoint. Addresses come from the
// environment through std.extVar.
{
  clientGrpcServers: [{
    listenAddresses: [std.extVar('BB_SCHEDULER_CLIENT')],
    authenticationPolicy: { allow: {} },
  }],
  workerGrpcServers: [{
    listenAddresses: [std.extVar('BB_SCHEDULER_WORKER')],
    authenticationPolicy: { allow: {} },
  }],
  browserUrl: 'http://127.0.0.1/',
  contentAddressableStorage: { grpc: { client: { address: std.extVar('BB_CAS') } } },
  maximumMessageSizeBytes: 16 * 1024 * 1024,
  global: {},
  executeAuthorizer: { allow: {} },
  modifyDrainsAuthorizer: { allow: {} },
  killOperationsAuthorizer: { allow: {} },
  synchronizeAuthorizer: { allow: {} },
  actionRouter: {
    simple: {
      platformKeyExtractor: { action: {} },
      invocationKeyExtractors: [{ toolInvocationId: {} }],
      initialSizeClassAnalyzer: {
        defaultExecutionTimeout: '600s',
        maximumExecutionTimeout: '1800s',
      },
    },
  },
  platformQueueWithNoWorkersTimeout: '900s',
}
