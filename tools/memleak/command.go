package memleak

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"

	"github.com/bpfutils/bpfutils/pkg/app"
)

// command is -c's program. It is started traced, so that it stops right after its exec, before
// its first allocation: the uprobes go in, then it is released (libbpf-tools forks and makes
// the child wait on an eventfd; Go cannot run code between fork and exec).
type command struct {
	cmd      *exec.Cmd
	pid      int
	released bool
	exited   chan struct{}
}

func startCommand(env *app.Env, path string) (*command, error) {
	// Told apart from a failed exec, which Go reports only as an error of the fork.
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("cannot execute %q: not an executable file", path)
	}
	// ptrace requests must come from the thread that became the tracer: the one starting it.
	runtime.LockOSThread()
	cmd := exec.Command(path)
	// Its output goes where warnings go, so that it never mixes into JSON output.
	cmd.Stdout, cmd.Stderr = env.Out.Stderr(), env.Out.Stderr()
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
	if err := cmd.Start(); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("failed to execute child command %s: %w", path, err)
	}
	c := &command{cmd: cmd, pid: cmd.Process.Pid, exited: make(chan struct{})}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(c.pid, &ws, 0, nil); err != nil || !ws.Stopped() {
		c.end(env)
		return nil, fmt.Errorf("child command %s did not start (%v)", path, ws)
	}
	return c, nil
}

// release lets the command run, once its allocator is probed.
func (c *command) release(env *app.Env) error {
	env.Out.Printf("child created with pid: %d\n", c.pid)
	err := syscall.PtraceDetach(c.pid)
	runtime.UnlockOSThread()
	if err != nil {
		return fmt.Errorf("failed to release child process %d: %w", c.pid, err)
	}
	c.released = true
	env.Out.Printf("received go event. executing child command\n")
	go func() {
		c.cmd.Wait()
		close(c.exited)
	}()
	return nil
}

// scope is env for a run that ends, as on Ctrl-C, when the command exits.
func (c *command) scope(env *app.Env) *app.Env {
	ctx, cancel := context.WithCancel(env.Ctx)
	go func() {
		select {
		case <-c.exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	scoped := *env
	scoped.Ctx = ctx
	return &scoped
}

// end stops the command if it still runs (SIGTERM, as libbpf-tools) and reaps it.
func (c *command) end(env *app.Env) {
	if !c.released {
		// Failed before it ran: it never gets to.
		c.cmd.Process.Kill()
		runtime.UnlockOSThread()
		var ws syscall.WaitStatus
		syscall.Wait4(c.pid, &ws, 0, nil)
		return
	}
	select {
	case <-c.exited:
	default:
		if c.cmd.Process.Signal(syscall.SIGTERM) == nil {
			env.Out.Printf("signaled child process\n")
		}
		<-c.exited
	}
	env.Out.Printf("reaped child process\n")
}
