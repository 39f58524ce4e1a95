package main

import "context"

func runBench(_ context.Context, env *environ, args []string) error {
	return usageError("bench: not built yet")
}
