package reapi

import (
	repb "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
)

// KeyAction is the Action digest under which meta keeps the build cache
// record of a cache key in a REAPI action cache. The Action itself is
// never executed or uploaded: it only gives each key a well-formed,
// collision-free action digest (the Bazel protocols key the action cache
// by the digest of an Action message, size included).
func KeyAction(key string) *repb.Digest {
	cmd := Digest([]byte("meta build cache key\x00" + key))
	_, d, err := MarshalDigest(&repb.Action{CommandDigest: cmd, InputRootDigest: Digest(nil)})
	if err != nil {
		panic(err) // marshalling a fixed message cannot fail
	}
	return d
}
