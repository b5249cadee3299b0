// bb_worker for tests: one native build directory, one runner over a
// UNIX socket, CAS and action cache on bazel-remote.
local dir = std.extVar('BB_WORKER_DIR');
{
  blobstore: {
    contentAddressableStorage: { grpc: { client: { address: std.extVar('BB_CAS') } } },
    actionCache: { grpc: { client: { address: std.extVar('BB_CAS') } } },
  },
  browserUrl: 'http://127.0.0.1/',
  maximumMessageSizeBytes: 16 * 1024 * 1024,
  scheduler: { address: std.extVar('BB_SCHEDULER_WORKER') },
  global: {},
  buildDirectories: [{
    native: {
      buildDirectoryPath: dir + '/build',
      cacheDirectoryPath: dir + '/cache',
      maximumCacheFileCount: 10000,
      maximumCacheSizeBytes: 256 * 1024 * 1024,
      cacheReplacementPolicy: 'LEAST_RECENTLY_USED',
    },
    runners: [{
      endpoint: { address: 'unix://' + dir + '/runner.sock' },
      concurrency: 1,
      instanceNamePrefix: '',
      platform: {},
      workerId: { worker: std.extVar('BB_WORKER_ID') },
    }],
  }],
  filePool: { blockDevice: { file: { path: dir + '/filepool', sizeBytes: 256 * 1024 * 1024 } } },
  outputUploadConcurrency: 4,
  inputDownloadConcurrency: 4,
  directoryCache: {
    maximumCount: 1000,
    maximumSizeBytes: 1024 * 1024,
    cacheReplacementPolicy: 'LEAST_RECENTLY_USED',
  },
}
