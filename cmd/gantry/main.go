// Command gantry is the gantry GitHub App server and its command-line tools: plans and cost
// diffs for Terraform pull requests, applies on merge, ECS deployments and rollbacks.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes one gantry command and returns its exit code (SPEC §1: 0 success, 1 the
// operation failed, 2 bad usage or bad input).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{stdout: stdout, stderr: stderr, getenv: getenv}
	root := newRoot(e)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "gantry:", err)
	var ue *usageError
	// cobra reports unknown commands and missing required flags before any command starts.
	if errors.As(err, &ue) || !e.started {
		return 2
	}
	return 1
}

// env is what commands read and write instead of the process globals, so tests can run them.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// started is set once a command's own code runs; errors before that are usage errors.
	started bool
}

// usageError marks bad usage or bad input (exit code 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return &usageError{fmt.Errorf(format, a...)} }
