// Package store owns meta's content-addressed store: canonical tree
// hashing, atomic publication of read-only trees, verification on read,
// deduplication by hard link, pins and garbage collection.
//
// # Layout
//
//	<dir>/.gitignore                 "*": a store inside a repository is never committed
//	<dir>/.lock                      flock: writers and readers shared, gc exclusive
//	<dir>/ab/<hash>/                 read-only tree (dirs 0555, files 0444 or 0555)
//	<dir>/ab/<hash>.stamps           per-file inode, size, mtime, ctime and SHA-256 (see Get)
//	<dir>/ab/<hash>.metadata.json    the commit point: written last, atomically
//	<dir>/.files/ab/<sha256>[.x]     content index: one hard link per distinct file content
//	<dir>/pins/<hash>                explicit gc roots
//	<dir>/tmp/                       work in progress; anything here is garbage after a crash
//
// "ab" is the first two hex digits of the hash. A tree without its metadata
// file does not exist: Has, List and Query ignore it and GC removes it.
//
// # Hashes
//
// A hash is 64 lowercase hex digits of SHA-256 (input may carry a
// "sha256:" prefix; [ParseHash] strips it). The tree hash is SHA-256 over
// this canonical serialisation, where str(s) is the little-endian uint64
// length of s followed by s and u64(n) is n as a little-endian uint64:
//
//	tree     = str("meta-tree-v1") node
//	node     = dir | file | symlink
//	dir      = str("dir") u64(count) { str(name) node }   children sorted bytewise by name
//	file     = str("file" | "exec") u64(size) sha256(contents)   // 32 raw bytes
//	symlink  = str("symlink") str(target)
//
// Only the owner-executable bit of a regular file counts ("exec"); times,
// owners, other permission bits and xattrs do not. Each file's contents
// enter the tree hash through their own SHA-256 (a Merkle construction):
// that lets files be hashed in parallel and gives the content index its
// keys without hashing anything twice. Symlinks are stored as symlinks and
// never followed, whatever they point at. Devices, sockets and fifos are
// rejected. The root of a tree is always a directory.
//
// # Archives
//
// [Store.WriteArchive] streams an entry as one blob and [Store.AddArchive]
// restores it, so a backend can move trees between stores. The format:
//
//	archive = str("meta-archive-v1") { record } end
//	record  = "d" str(path)                               directory
//	        | "f" str(path) u64(size) contents            file ("x" when executable)
//	        | "l" str(path) str(target)                   symlink
//	end     = "E" str(hash)                               the tree hash, hex
//
// Paths are slash-separated and relative to the root (which is implicit);
// records come in depth-first order with siblings sorted bytewise, so one
// tree has exactly one archive. The reader rejects absolute paths, "." and
// ".." components, duplicates, records out of order and a trailer that
// does not match what was read; it extracts through [os.Root], so nothing
// can be written outside the entry being built.
//
// # Durability and concurrency
//
// Add copies the source into a temporary directory inside the store and
// writes the entry's stamps and metadata to temporary files; it renames
// the tree and the stamps into place (a tree without metadata does not
// exist), makes all of it durable in one pass — the fsyncs issued
// together, so the filesystem commits them at once, or one syncfs(2) for
// a large tree — and only then links the metadata file into place and
// syncs that link. A crash at any point leaves either a complete
// entry or garbage that is invisible and removed by the next GC. Adds,
// pins, gets, archive writes and verification hold a shared flock on
// <dir>/.lock; GC holds it exclusively, so it never sees an add in flight.
// Concurrent adds of the same tree are safe: the loser of the rename throws
// its copy away. Adding a tree that is already stored only hashes it and
// checks the stored copy's stamps (lstat, no reading); if those show a
// change and a re-hash confirms damage, the damaged entry is removed under
// the exclusive lock and the tree stored afresh — adding a tree again is
// how a corrupt entry is repaired. Contents found in the content index are
// re-hashed before being linked into a new entry, so damage never spreads.
//
// # Verification
//
// Reads verify. [Store.Get] recomputes the tree hash of what it copies
// from the names, types, executable bits and symlink targets on disk and
// each file's digest, and compares it with the entry's before the copy is
// moved into the target. A file's digest comes from hashing the bytes
// copied, except when the entry's stamps file shows the file's inode,
// size, mtime and ctime unchanged since it was hashed: then the kernel
// copies it (copy_file_range) and the recorded digest stands in. Editing
// a stored file changes its ctime, which cannot be set back, so it is
// re-hashed and caught even when the size is kept and the mtime restored;
// damage that changes no stamp (bit rot) is found by [Store.Verify], which
// always re-hashes everything. [Store.WriteArchive] hashes everything it
// streams and omits the trailer (so the reader fails) when it does not
// match. A corrupt entry is reported as a [*CorruptError], never served.
//
// # Garbage collection
//
// [Store.GC] keeps every entry reachable, through metadata references, from
// a root: pins, hashes passed in GCOptions.Roots, hashes returned by each
// [RootSource] (build-cache records, lock files), and entries younger than
// GCOptions.Grace (so a caller that records a root right after Add is not
// raced). It deletes metadata before trees, then removes leftovers of
// crashed writers and content-index files no entry uses any more.
package store
