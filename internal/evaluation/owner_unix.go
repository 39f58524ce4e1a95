//go:build unix

package evaluation

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ownerGone reports whether a run's owner (host:pid) is a process of this
// host that no longer exists: its run is taken over at once (a run killed
// and started again), not after the lease.
func ownerGone(owner string) bool {
	i := strings.LastIndexByte(owner, ':')
	if i < 0 {
		return false
	}
	host, _ := os.Hostname()
	pid, err := strconv.Atoi(owner[i+1:])
	if owner[:i] != host || err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return true
	}
	err = p.Signal(syscall.Signal(0))
	return errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH)
}
