// Package upgradetest holds the test that a database written by an earlier
// release keeps every record, version, name, change event and intake
// figure through this release's migrations, on both drivers.
package upgradetest
