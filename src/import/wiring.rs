//! Following a flow file's wires, in time linear in the nodes and wires (and
//! the lists it returns): which nodes of some kinds each node's wires reach.
//!
//! A walk from every trigger would be quadratic: a thousand triggers wired
//! into one long chain of function nodes walk the chain a thousand times.
//! Instead the wiring is cut into strongly connected components (Tarjan's
//! algorithm, without recursion, so a chain of a million nodes cannot
//! overflow the stack), which Tarjan finishes after everything they wire
//! to; each component's list of reachable nodes is then made once from its
//! successors' lists. A component that adds nothing of its own and wires to
//! one list shares that list, so a chain costs nothing per node. Only where
//! wires fan in are lists merged; the merging has a budget proportional to
//! the file, past which the import stops with a message rather than grow
//! without bound.

/// The wiring of one flow file: for each node, the nodes its wires lead to.
pub(super) struct Wiring {
    next: Vec<Vec<u32>>,
}

/// Which kinds of nodes `reach` lists, and what each node reaches.
pub(super) struct Reach {
    /// Per node, the list (in `lists`) of the selected nodes its wires reach.
    of_node: Vec<u32>,
    /// Lists of node indices, each sorted (file order) and without repeats.
    lists: Vec<Vec<u32>>,
}

/// The wiring fans in and out so much that following it would take more
/// than a budget proportional to the file.
#[derive(Debug)]
pub(super) struct TooEntangled;

impl Wiring {
    /// `next[i]` holds the nodes node `i`'s wires lead to.
    pub(super) fn new(next: Vec<Vec<u32>>) -> Wiring {
        Wiring { next }
    }

    /// Per node, the nodes for which `keep` holds that its wires reach
    /// (itself only through a loop of wires).
    pub(super) fn reach(&self, keep: impl Fn(usize) -> bool) -> Result<Reach, TooEntangled> {
        let n = self.next.len();
        let wires: usize = self.next.iter().map(Vec::len).sum();
        let mut budget = 16 * (n + wires) + 1_000_000;
        let (component, members) = components(&self.next);
        // Components come out of Tarjan finished after all they wire to, so
        // one pass in that order sees every successor's list made.
        let mut below: Vec<u32> = Vec::with_capacity(members.len());
        let mut closure: Vec<u32> = Vec::with_capacity(members.len());
        let mut lists: Vec<Vec<u32>> = vec![Vec::new()];
        let mut of_node = vec![0u32; n];
        let mut successors: Vec<u32> = Vec::new();
        for (c, nodes) in members.iter().enumerate() {
            successors.clear();
            let mut looped = nodes.len() > 1;
            for &v in nodes {
                for &w in &self.next[v as usize] {
                    let d = component[w as usize];
                    if d as usize == c {
                        looped = true;
                    } else {
                        successors.push(closure[d as usize]);
                    }
                }
            }
            successors.sort_unstable();
            successors.dedup();
            successors.retain(|&l| !lists[l as usize].is_empty());
            let below_c = match successors.as_slice() {
                [] => 0,
                [one] => *one,
                many => {
                    let size: usize = many.iter().map(|&l| lists[l as usize].len()).sum();
                    budget = budget.checked_sub(size).ok_or(TooEntangled)?;
                    let mut merged: Vec<u32> = many.iter().flat_map(|&l| lists[l as usize].iter().copied()).collect();
                    merged.sort_unstable();
                    merged.dedup();
                    lists.push(merged);
                    (lists.len() - 1) as u32
                }
            };
            let mut own: Vec<u32> = nodes.iter().copied().filter(|&v| keep(v as usize)).collect();
            let closure_c = if own.is_empty() {
                below_c
            } else {
                let base = &lists[below_c as usize];
                budget = budget.checked_sub(base.len() + own.len()).ok_or(TooEntangled)?;
                own.extend_from_slice(base);
                own.sort_unstable();
                own.dedup();
                lists.push(own);
                (lists.len() - 1) as u32
            };
            below.push(below_c);
            closure.push(closure_c);
            for &v in nodes {
                of_node[v as usize] = if looped { closure_c } else { below_c };
            }
        }
        Ok(Reach { of_node, lists })
    }
}

impl Reach {
    /// The selected nodes node `i`'s wires reach, in file order.
    pub(super) fn of(&self, i: usize) -> &[u32] {
        &self.lists[self.of_node[i] as usize]
    }
}

/// Tarjan's strongly connected components, without recursion: each node's
/// component, and each component's nodes, in the order Tarjan finishes them
/// (a component after every component it wires to).
fn components(next: &[Vec<u32>]) -> (Vec<u32>, Vec<Vec<u32>>) {
    const UNSEEN: u32 = u32::MAX;
    let n = next.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut component = vec![0u32; n];
    let mut members: Vec<Vec<u32>> = Vec::new();
    let mut stack: Vec<u32> = Vec::new();
    // The walk: a node and how many of its wires it has followed.
    let mut walk: Vec<(u32, usize)> = Vec::new();
    let mut counter = 0u32;
    for root in 0..n as u32 {
        if index[root as usize] != UNSEEN {
            continue;
        }
        walk.push((root, 0));
        while let Some(&mut (v, ref mut followed)) = walk.last_mut() {
            let vi = v as usize;
            if *followed == 0 && index[vi] == UNSEEN {
                index[vi] = counter;
                low[vi] = counter;
                counter += 1;
                stack.push(v);
                on_stack[vi] = true;
            }
            if let Some(&w) = next[vi].get(*followed) {
                *followed += 1;
                let wi = w as usize;
                if index[wi] == UNSEEN {
                    walk.push((w, 0));
                } else if on_stack[wi] {
                    low[vi] = low[vi].min(index[wi]);
                }
                continue;
            }
            walk.pop();
            if let Some(&(parent, _)) = walk.last() {
                low[parent as usize] = low[parent as usize].min(low[vi]);
            }
            if low[vi] == index[vi] {
                let c = members.len() as u32;
                let mut nodes = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    component[w as usize] = c;
                    nodes.push(w);
                    if w == v {
                        break;
                    }
                }
                nodes.sort_unstable();
                members.push(nodes);
            }
        }
    }
    (component, members)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain walk the wiring replaces, for comparison.
    fn walk(next: &[Vec<u32>], start: usize, keep: &dyn Fn(usize) -> bool) -> Vec<u32> {
        let mut seen = vec![false; next.len()];
        let mut stack = vec![start as u32];
        let mut out = Vec::new();
        while let Some(v) = stack.pop() {
            for &w in &next[v as usize] {
                if !seen[w as usize] {
                    seen[w as usize] = true;
                    if keep(w as usize) {
                        out.push(w);
                    }
                    stack.push(w);
                }
            }
        }
        out.sort_unstable();
        out
    }

    #[test]
    fn reach_is_the_walk_on_every_small_wiring() {
        // Every wiring of up to 5 nodes with up to 2 wires each, drawn from a
        // fixed sequence: loops, self-loops, fan-in and fan-out.
        let mut seed = 0x9e37_79b9_u64;
        let mut draw = |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        for _ in 0..3000 {
            let n = 1 + draw(6) as usize;
            let next: Vec<Vec<u32>> = (0..n).map(|_| (0..draw(3)).map(|_| draw(n as u64) as u32).collect()).collect();
            let keep = |i: usize| i.is_multiple_of(2);
            let reach = Wiring::new(next.clone()).reach(keep).unwrap();
            for start in 0..n {
                assert_eq!(reach.of(start), walk(&next, start, &keep).as_slice(), "{next:?} from {start}");
            }
        }
    }

    #[test]
    fn a_long_chain_fed_by_many_triggers_is_linear_and_needs_no_stack() {
        // 200,000 triggers into a chain of 1,000,000 nodes ending in one
        // output: a walk per trigger would take 2e11 steps.
        let chain = 1_000_000u32;
        let triggers = 200_000u32;
        let mut next: Vec<Vec<u32>> = (0..chain).map(|i| if i + 1 < chain { vec![i + 1] } else { vec![] }).collect();
        next.extend((0..triggers).map(|_| vec![0]));
        let reach = Wiring::new(next).reach(|i| i == chain as usize - 1).unwrap();
        assert_eq!(reach.of(chain as usize + 5), &[chain - 1]);
        assert_eq!(reach.lists.len(), 2, "the chain shares one list");
    }

    #[test]
    fn a_wiring_whose_lists_would_grow_without_bound_is_refused() {
        // k triggers each wired to all of k outputs through k hubs that all
        // fan in: every hub merges k lists of growing size.
        let k = 3000u32;
        let mut next: Vec<Vec<u32>> = Vec::new();
        // Nodes 0..k are outputs; k..2k are a ladder where node k+i wires to
        // output i and to k+i+1, so each rung merges.
        next.extend((0..k).map(|_| vec![]));
        next.extend((0..k).map(|i| if i + 1 < k { vec![i, k + i + 1] } else { vec![i] }));
        assert!(Wiring::new(next).reach(|i| i < k as usize).is_err());
    }
}
