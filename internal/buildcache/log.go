package buildcache

// maxKeptLog bounds the build log a record keeps; a longer log keeps its
// end, where failures and summaries are.
const maxKeptLog = 1 << 20

// keptLog returns the part of a build log a record stores.
func keptLog(log []byte) []byte {
	if len(log) == 0 {
		return nil
	}
	if len(log) <= maxKeptLog {
		return append([]byte(nil), log...)
	}
	const marker = "[meta: earlier output cut; the log was longer than 1 MiB]\n"
	out := make([]byte, 0, maxKeptLog+len(marker))
	out = append(out, marker...)
	return append(out, log[len(log)-maxKeptLog:]...)
}
