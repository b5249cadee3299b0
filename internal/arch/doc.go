// Package arch holds tests of the code base's own rules: every package has
// a doc comment, only cli and cmd import cobra, and only they print.
package arch
