// Package registry owns meta's component registry: the publish wire
// format, tarball validation, the HTTP server with its token auth and rate
// limits, the client that talks to it (with an on-disk ETag cache), and
// the user's registry configuration and credentials. The sparse index
// format, name and version rules and minisign signatures are package
// regindex's.
//
// It never prints: the server reports each request through Server.Log and
// the CLI decides where that goes.
package registry
