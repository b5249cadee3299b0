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
