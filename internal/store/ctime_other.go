//go:build !linux && !darwin

package store

import "syscall"

// ctimeNs is 0 where the status-change time is not at hand; the other
// fields of a stamp still notice most changes.
func ctimeNs(st *syscall.Stat_t) int64 { return 0 }
