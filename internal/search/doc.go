// Package search holds the rules of name search: how names and queries are
// folded (width, case, traditional to simplified, punctuation) and cut into
// the bigrams the stores index.
package search
