// bb_runner for tests: runs the worker's actions in its build directory.
local dir = std.extVar('BB_WORKER_DIR');
{
  buildDirectoryPath: dir + '/build',
  grpcServers: [{
    listenPaths: [dir + '/runner.sock'],
    authenticationPolicy: { allow: {} },
  }],
}
