//! `tidekv get|put|insert|modify|delete`: one request, run to its answer.

use super::Global;
use tidekv_defs::{Op, Request};
use tidekv_host::client::answer_json;

#[derive(Debug, clap::Args)]
pub struct Key {
    pub key: u64,
    /// The client port the request is issued on.
    #[arg(long, default_value_t = 0)]
    pub client: u32,
}

#[derive(Debug, clap::Args)]
pub struct KeyValue {
    pub key: u64,
    pub value: u64,
    /// The client port the request is issued on.
    #[arg(long, default_value_t = 0)]
    pub client: u32,
}

impl From<Key> for KeyValue {
    fn from(k: Key) -> KeyValue {
        KeyValue {
            key: k.key,
            value: 0,
            client: k.client,
        }
    }
}

pub fn run(op: Op, a: KeyValue, g: &Global) -> tidekv_host::Result<()> {
    let mut d = g.open()?;
    let ans = d.request(
        a.client,
        Request {
            op,
            key: a.key,
            value: a.value,
        },
    )?;
    if g.json {
        // The line `replay` prints for a request (SPEC section 8).
        println!("{}", answer_json(&ans, u64::from(d.info.latency)));
    } else {
        match ans.response.value {
            Some(v) => println!("{} {v}", ans.response.status),
            None => println!("{}", ans.response.status),
        }
    }
    Ok(())
}
