package sockety

import "crypto/tls"

// minTLS12 returns a copy of cfg that refuses anything older than TLS 1.2.
// Every TLS connection of this package goes through it, so a caller's config
// with a lower (or unset) MinVersion cannot weaken the floor.
func minTLS12(cfg *tls.Config) *tls.Config {
	c := cfg.Clone()
	if c.MinVersion < tls.VersionTLS12 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}
