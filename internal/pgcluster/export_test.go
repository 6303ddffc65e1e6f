package pgcluster

import "context"

// WaitRunning is the check Start makes before starting a server: whether
// one runs in c's directory, clearing the lock files of one that died.
func WaitRunning(ctx context.Context, c *Cluster) (bool, error) {
	return c.waitRunning(ctx)
}
