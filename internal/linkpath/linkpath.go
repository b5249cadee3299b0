// Package linkpath decides whether a relative symlink inside an unpacked
// archive stays inside it, by resolving the link the way the kernel would:
// component by component, following every other link of the archive on
// the way (chains such as sub/up -> .., u1 -> up/.., bin/x -> ../sub/u1/..).
// A lexical path.Join of the link's directory and target is not enough,
// because ".." after a symlink climbs from the link's target, not from the
// link's name.
package linkpath

import (
	"errors"
	"strings"
)

// MaxHops bounds how many links one resolution may follow, as the kernel's
// ELOOP limit does.
const MaxHops = 40

// ErrEscapes is returned when a link's target leaves the tree.
var ErrEscapes = errors.New("it leaves the archive")

// Within checks that target, read as a symlink's target from directory dir
// (slash-separated, relative to the tree's root, "." for the root), stays
// inside the tree when every link in links (slash path relative to the
// root -> target) is followed. Absolute targets anywhere on the way are
// refused, as are chains longer than MaxHops.
func Within(links map[string]string, dir, target string) error {
	if strings.HasPrefix(target, "/") {
		return errors.New("it is an absolute path")
	}
	var stack []string // components of the current position below the root
	if dir != "." && dir != "" {
		stack = strings.Split(dir, "/")
	}
	pending := strings.Split(target, "/")
	hops := 0
	for len(pending) > 0 {
		part := pending[0]
		pending = pending[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return ErrEscapes
			}
			stack = stack[:len(stack)-1]
			continue
		}
		stack = append(stack, part)
		t, ok := links[strings.Join(stack, "/")]
		if !ok {
			continue
		}
		hops++
		if hops > MaxHops {
			return errors.New("too many levels of symlinks")
		}
		if strings.HasPrefix(t, "/") {
			return errors.New("it goes through an absolute symlink")
		}
		stack = stack[:len(stack)-1]
		pending = append(strings.Split(t, "/"), pending...)
	}
	return nil
}
