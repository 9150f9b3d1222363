//! The event queue: a min-heap ordered by `(time, seq)`. `seq` is a counter assigned at push,
//! so two events at the same instant always come out in the order they were scheduled,
//! whatever the heap's internal layout. The queue is bounded: a push beyond `capacity` is
//! refused and counted instead of growing without limit.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::time::SimTime;

/// An event with its place in the order.
#[derive(Clone, Debug)]
pub struct Scheduled<E> {
    pub at: SimTime,
    pub seq: u64,
    pub event: E,
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<E> Eq for Scheduled<E> {}
impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Scheduled<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// The queue was full; the event was not scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueFull;

#[derive(Clone, Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Scheduled<E>>>,
    next_seq: u64,
    capacity: usize,
    refused: u64,
}

impl<E> EventQueue<E> {
    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
            capacity,
            refused: 0,
        }
    }

    /// Schedule `event` at `at`; returns its sequence number.
    pub fn push(&mut self, at: SimTime, event: E) -> Result<u64, QueueFull> {
        if self.heap.len() >= self.capacity {
            self.refused += 1;
            return Err(QueueFull);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse(Scheduled { at, seq, event }));
        Ok(seq)
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|Reverse(s)| s.at)
    }

    /// Remove and return the earliest event if it is due at or before `limit`.
    pub fn pop_due(&mut self, limit: SimTime) -> Option<Scheduled<E>> {
        if self.peek_time()? <= limit {
            self.heap.pop().map(|Reverse(s)| s)
        } else {
            None
        }
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
    pub fn capacity(&self) -> usize {
        self.capacity
    }
    /// How many pushes were refused because the queue was full.
    pub fn refused(&self) -> u64 {
        self.refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_time_then_by_push_order() {
        let mut q = EventQueue::with_capacity(16);
        q.push(SimTime(30), "c").unwrap();
        q.push(SimTime(10), "a1").unwrap();
        q.push(SimTime(20), "b").unwrap();
        q.push(SimTime(10), "a2").unwrap();
        q.push(SimTime(10), "a3").unwrap();
        let mut out = vec![];
        while let Some(s) = q.pop_due(SimTime::MAX) {
            out.push(s.event);
        }
        assert_eq!(out, vec!["a1", "a2", "a3", "b", "c"]);
    }

    #[test]
    fn ties_stay_in_push_order_for_many_events() {
        let mut q = EventQueue::with_capacity(10_000);
        for i in 0..5_000u32 {
            q.push(SimTime(u64::from(i % 3)), i).unwrap();
        }
        let mut last = (SimTime::ZERO, 0u32);
        let mut first = true;
        while let Some(s) = q.pop_due(SimTime::MAX) {
            if !first && s.at == last.0 {
                assert!(s.event > last.1, "tie broken out of order");
            }
            assert!(first || s.at >= last.0);
            first = false;
            last = (s.at, s.event);
        }
    }

    #[test]
    fn pop_due_respects_the_limit_and_capacity_is_enforced() {
        let mut q = EventQueue::with_capacity(2);
        q.push(SimTime(5), 1).unwrap();
        q.push(SimTime(9), 2).unwrap();
        assert_eq!(q.push(SimTime(1), 3), Err(QueueFull));
        assert_eq!(q.refused(), 1);
        assert_eq!(q.pop_due(SimTime(4)).map(|s| s.event), None);
        assert_eq!(q.pop_due(SimTime(5)).map(|s| s.event), Some(1));
        assert_eq!(q.peek_time(), Some(SimTime(9)));
        assert_eq!(q.len(), 1);
    }
}
