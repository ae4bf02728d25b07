//! An index from a number (OrderNo, a refund's NewOrderNo, a pre-authorization operation's
//! OrderNo) to the orders that hold it. Numbers are unique per merchant, not overall, so one
//! number may lead to a few orders of different merchants.

use super::OrderId;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct NumberIndex(HashMap<Arc<str>, Vec<OrderId>>);

impl NumberIndex {
    pub fn add(&mut self, number: Arc<str>, id: OrderId) {
        let ids = self.0.entry(number).or_default();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }

    pub fn remove(&mut self, number: &str, id: OrderId) {
        if let Some(ids) = self.0.get_mut(number) {
            ids.retain(|other| *other != id);
            if ids.is_empty() {
                self.0.remove(number);
            }
        }
    }

    pub fn ids(&self, number: &str) -> &[OrderId] {
        self.0.get(number).map(Vec::as_slice).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_once_and_forgets_empty_numbers() {
        let mut index = NumberIndex::default();
        index.add("N".into(), 1);
        index.add("N".into(), 1);
        index.add("N".into(), 2);
        assert_eq!(index.ids("N"), &[1, 2]);
        index.remove("N", 1);
        index.remove("N", 2);
        assert!(index.ids("N").is_empty());
        assert!(index.is_empty());
    }
}
