package balance

import "sort"

// tree stands in for HAProxy's eb32 trees: entries ordered by key, entries
// with equal keys kept in insertion order (ebtrees append duplicates after
// the existing ones), so that ties break exactly as in the reference.
type tree struct {
	nodes []*node
}

// node is one entry of a tree. A server owns one node (fwrr, fwlc, first) or
// weight*16 of them (the consistent hashing ring).
type node struct {
	key    uint32
	srv    *Server
	in     *tree // the tree holding this node, nil when detached
	serial int   // position among a server's ring nodes
}

// insert places n after every node of equal or lower key.
func (t *tree) insert(n *node) {
	i := sort.Search(len(t.nodes), func(i int) bool { return t.nodes[i].key > n.key })
	t.nodes = append(t.nodes, nil)
	copy(t.nodes[i+1:], t.nodes[i:])
	t.nodes[i] = n
	n.in = t
}

// remove detaches n if it is in t.
func (t *tree) remove(n *node) {
	if n.in != t {
		return
	}
	i := t.index(n)
	if i >= 0 {
		t.nodes = append(t.nodes[:i], t.nodes[i+1:]...)
	}
	n.in = nil
}

// index returns n's position in t, or -1.
func (t *tree) index(n *node) int {
	i := sort.Search(len(t.nodes), func(i int) bool { return t.nodes[i].key >= n.key })
	for ; i < len(t.nodes) && t.nodes[i].key == n.key; i++ {
		if t.nodes[i] == n {
			return i
		}
	}
	return -1
}

func (t *tree) first() *node {
	if len(t.nodes) == 0 {
		return nil
	}
	return t.nodes[0]
}

func (t *tree) last() *node {
	if len(t.nodes) == 0 {
		return nil
	}
	return t.nodes[len(t.nodes)-1]
}

// next returns the node after n, or nil at the end.
func (t *tree) next(n *node) *node {
	i := t.index(n)
	if i < 0 || i+1 >= len(t.nodes) {
		return nil
	}
	return t.nodes[i+1]
}

// prev returns the node before n, or nil at the start.
func (t *tree) prev(n *node) *node {
	i := t.index(n)
	if i <= 0 {
		return nil
	}
	return t.nodes[i-1]
}

// lookupGE returns the first node whose key is >= key, or nil.
func (t *tree) lookupGE(key uint32) *node {
	i := sort.Search(len(t.nodes), func(i int) bool { return t.nodes[i].key >= key })
	if i == len(t.nodes) {
		return nil
	}
	return t.nodes[i]
}
