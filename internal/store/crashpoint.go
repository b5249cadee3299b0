package store

// crashHook, when set (by crash tests only), is called at each point where
// a process dying would leave a different state on disk; the tests' child
// processes kill themselves there with SIGKILL.
var crashHook func(point string)

func crashPoint(point string) {
	if crashHook != nil {
		crashHook(point)
	}
}

// durabilityHook, when set (by tests only), is told of each operation
// that decides what survives a power cut: "sync" and "syncfs" of a path,
// "rename" and "link" of one path to another. The tests check from it
// that nothing is named by a committed entry before it is durable.
var durabilityHook func(op, path, to string)

func durabilityEvent(op, path, to string) {
	if durabilityHook != nil {
		durabilityHook(op, path, to)
	}
}
