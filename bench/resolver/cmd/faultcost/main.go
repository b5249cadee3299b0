// Command faultcost measures what a page touched for the first time costs
// this machine in CPU: it maps fresh anonymous memory, writes one byte per
// page, and prints the process's user and system time spent and the page
// faults taken. On the 2-core VM where bench/resolver's numbers were
// taken, a fault costs about 20 µs, most of it counted as user time, so a
// program's peak heap weighs on its CPU time as much as its code does.
//
//	faultcost [MiB]   (default 32)
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

func main() {
	mib := 32
	if len(os.Args) == 2 {
		n, err := strconv.Atoi(os.Args[1])
		if err != nil || n <= 0 || n > 4096 {
			fmt.Fprintln(os.Stderr, "usage: faultcost [MiB], 1 to 4096")
			os.Exit(2)
		}
		mib = n
	}
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	mem, err := syscall.Mmap(-1, 0, mib<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		fmt.Fprintln(os.Stderr, "faultcost:", err)
		os.Exit(1)
	}
	page := os.Getpagesize()
	for i := 0; i < len(mem); i += page {
		mem[i] = 1
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	user := time.Duration(after.Utime.Nano() - before.Utime.Nano())
	sys := time.Duration(after.Stime.Nano() - before.Stime.Nano())
	faults := after.Minflt - before.Minflt
	per := time.Duration(0)
	if faults > 0 {
		per = (user + sys) / time.Duration(faults)
	}
	fmt.Printf("%d MiB: %d faults, user %v, system %v, %v of CPU per fault\n", mib, faults, user, sys, per)
}
