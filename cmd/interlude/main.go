// Command interlude runs Interlude: the server and every operator task
// (migrate, create a clinic, verify the audit log, rotate keys, back up,
// export). See API.md for the command line.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // IANA zones inside the binary: a static binary runs anywhere
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var exit exitError
		if errors.As(err, &exit) {
			os.Exit(exit.code)
		}
		fmt.Fprintln(os.Stderr, "interlude: "+strings.ReplaceAll(err.Error(), "\n", "; "))
		os.Exit(1)
	}
}
