//! One shard replica: its table engine, fed each round with an apply pass
//! (the other replicas' updates of last round, R > 1) and a serve pass (the
//! requests the leaf FE sent it), as `replicas_fire` in the model.

use crate::delay::Delay;
use crate::params::*;
use crate::table::{MainSlot, SlotOut, TableEngine};
use crate::util::k;
use rust_hdl::prelude::*;

pub type ReplicaNo = Bits<REPLICA_BITS>;

#[derive(LogicBlock)]
pub struct ReplicaNode {
    pub clock: Signal<In, Clock>,
    pub run: Signal<In, bool>,
    /// This clock is the apply (serve) pass's slot for `client`.
    pub apply_slot: Signal<In, bool>,
    pub serve_slot: Signal<In, bool>,
    pub client: Signal<In, Client>,
    /// The round's slot-ownership rotation.
    pub rot: Signal<In, ReplicaNo>,
    /// Crash-stopped: applies, serves and sends nothing.
    pub failed: Signal<In, bool>,
    /// The request link from the leaf FE (one for all nodes, addressed).
    pub fwd_valid: Signal<In, bool>,
    pub fwd_shard: Signal<In, Shard>,
    pub fwd_rep: Signal<In, ReplicaNo>,
    pub fwd_op: Signal<In, OpCode>,
    pub fwd_key: Signal<In, Key>,
    pub fwd_value: Signal<In, Value>,
    /// The shard's update link (from every replica of the shard).
    pub upd_valid: Signal<In, bool>,
    pub upd_origin: Signal<In, ReplicaNo>,
    pub upd_delete: Signal<In, bool>,
    pub upd_slot: Signal<In, SlotNo>,
    pub upd_key: Signal<In, Key>,
    pub upd_value: Signal<In, Value>,
    pub engine: TableEngine,
    pub resp_valid: Signal<Out, bool>,
    pub resp_status: Signal<Out, StatusCode>,
    pub resp_has_value: Signal<Out, bool>,
    pub resp_value: Signal<Out, Value>,
    pub upd_out_valid: Signal<Out, bool>,
    pub upd_out_delete: Signal<Out, bool>,
    pub upd_out_slot: Signal<Out, SlotNo>,
    pub upd_out_key: Signal<Out, Key>,
    pub upd_out_value: Signal<Out, Value>,
    /// Maintenance (the core is paused): see `TableSweep`.
    pub clear: Signal<In, bool>,
    pub wipe: Signal<In, bool>,
    pub sw_read: Signal<In, bool>,
    pub sw_set: Signal<In, SetAddr>,
    pub sw_slot: Signal<In, SlotNo>,
    pub sw_next: Signal<In, MainSlot>,
    pub sweep_out: SlotOut,
    /// Copy target: the engine runs the copy bus's slot as an update
    /// (`cp_go`: the bus carries a slot this clock, `cp_slot`).
    pub cp_dst: Signal<In, bool>,
    pub cp_go: Signal<In, bool>,
    pub cp_slot: Signal<In, SlotNo>,
    pub cp_used: Signal<In, bool>,
    pub cp_key: Signal<In, Key>,
    pub cp_value: Signal<In, Value>,
    my_shard: Constant<Shard>,
    my_rep: Constant<ReplicaNo>,
    /// Way w (stash entry i) is mine in the rotation `own_way[w]` (`own_stash[i]`).
    own_way: Vec<Constant<ReplicaNo>>,
    own_stash: Vec<Constant<ReplicaNo>>,
    ow: Signal<Local, WayMask>,
    os: Signal<Local, StashMask>,
}

impl ReplicaNode {
    pub fn new(shard: usize, rep: usize) -> Self {
        // (i + rot) mod R == rep  <=>  rot == (rep - i) mod R
        let rot_of = |i: usize| k(((rep + R * 64 - i) % R) as u64);
        ReplicaNode {
            clock: Default::default(),
            run: Default::default(),
            apply_slot: Default::default(),
            serve_slot: Default::default(),
            client: Default::default(),
            rot: Default::default(),
            failed: Default::default(),
            fwd_valid: Default::default(),
            fwd_shard: Default::default(),
            fwd_rep: Default::default(),
            fwd_op: Default::default(),
            fwd_key: Default::default(),
            fwd_value: Default::default(),
            upd_valid: Default::default(),
            upd_origin: Default::default(),
            upd_delete: Default::default(),
            upd_slot: Default::default(),
            upd_key: Default::default(),
            upd_value: Default::default(),
            engine: TableEngine::new(),
            resp_valid: Default::default(),
            resp_status: Default::default(),
            resp_has_value: Default::default(),
            resp_value: Default::default(),
            upd_out_valid: Default::default(),
            upd_out_delete: Default::default(),
            upd_out_slot: Default::default(),
            upd_out_key: Default::default(),
            upd_out_value: Default::default(),
            clear: Default::default(),
            wipe: Default::default(),
            sw_read: Default::default(),
            sw_set: Default::default(),
            sw_slot: Default::default(),
            sw_next: Default::default(),
            sweep_out: Default::default(),
            cp_dst: Default::default(),
            cp_go: Default::default(),
            cp_slot: Default::default(),
            cp_used: Default::default(),
            cp_key: Default::default(),
            cp_value: Default::default(),
            my_shard: k(shard as u64),
            my_rep: k(rep as u64),
            own_way: (0..WAYS).map(rot_of).collect(),
            own_stash: (0..STASH_W).map(rot_of).collect(),
            ow: Default::default(),
            os: Default::default(),
        }
    }
}

impl Logic for ReplicaNode {
    #[hdl_gen]
    fn update(&mut self) {
        self.engine.clock.next = self.clock.val();
        self.engine.run.next = self.run.val() | self.cp_dst.val();
        self.engine.sweep.clear.next = self.clear.val();
        self.engine.sweep.wipe.next = self.wipe.val();
        self.engine.sweep.read.next = self.sw_read.val();
        self.engine.sweep.set.next = self.sw_set.val();
        self.engine.sweep.slot.next = self.sw_slot.val();
        self.engine.sweep.next_slot.next = self.sw_next.val();
        self.engine.sweep.forget.next = self.cp_dst.val();
        self.sweep_out.used.next = self.engine.sweep_out.used.val();
        self.sweep_out.key.next = self.engine.sweep_out.key.val();
        self.sweep_out.value.next = self.engine.sweep_out.value.val();
        self.resp_valid.next = self.engine.resp.valid.val();
        self.resp_status.next = self.engine.resp.status.val();
        self.resp_has_value.next = self.engine.resp.has_value.val();
        self.resp_value.next = self.engine.resp.value.val();
        self.upd_out_valid.next = self.engine.upd.valid.val();
        self.upd_out_delete.next = self.engine.upd.delete.val();
        self.upd_out_slot.next = self.engine.upd.slot.val();
        self.upd_out_key.next = self.engine.upd.key.val();
        self.upd_out_value.next = self.engine.upd.value.val();
        self.ow.next = 0.into();
        for w in 0..WAYS {
            self.ow.next = self
                .ow
                .val()
                .replace_bit(w, self.rot.val() == self.own_way[w].val());
        }
        self.os.next = 0.into();
        for i in 0..STASH_W {
            self.os.next = self
                .os
                .val()
                .replace_bit(i, self.rot.val() == self.own_stash[i].val());
        }
        self.engine.op.owned_ways.next = self.ow.val();
        self.engine.op.owned_stash.next = self.os.val();
        self.engine.op.client.next = self.client.val();
        // A crashed replica still passes its slots, empty: its last-round
        // registers (own writes, bars) then hold nothing when it rejoins.
        self.engine.op.slot.next = self.apply_slot.val() | self.serve_slot.val();
        self.engine.op.apply.next = self.apply_slot.val();
        self.engine.op.delete.next = self.upd_delete.val();
        self.engine.op.uslot.next = self.upd_slot.val();
        if self.apply_slot.val() {
            self.engine.op.valid.next = self.upd_valid.val()
                & (self.upd_origin.val() != self.my_rep.val())
                & !self.failed.val();
            self.engine.op.op.next = 0.into();
            self.engine.op.key.next = self.upd_key.val();
            self.engine.op.value.next = self.upd_value.val();
        } else {
            self.engine.op.valid.next = self.fwd_valid.val()
                & (self.fwd_shard.val() == self.my_shard.val())
                & (self.fwd_rep.val() == self.my_rep.val())
                & !self.failed.val();
            self.engine.op.op.next = self.fwd_op.val();
            self.engine.op.key.next = self.fwd_key.val();
            self.engine.op.value.next = self.fwd_value.val();
        }
        if self.cp_dst.val() {
            // Copy: the source's slot, as an update that sets it there.
            self.engine.op.slot.next = self.cp_go.val();
            self.engine.op.apply.next = true;
            self.engine.op.valid.next = self.cp_go.val() & self.cp_used.val();
            self.engine.op.delete.next = false;
            self.engine.op.uslot.next = self.cp_slot.val();
            self.engine.op.key.next = self.cp_key.val();
            self.engine.op.value.next = self.cp_value.val();
        }
    }
}

/// A shard: its R replicas and the update link among them. Its response
/// output merges the replicas' (a client slot reaches one replica).
#[derive(LogicBlock)]
pub struct ShardGroup {
    pub clock: Signal<In, Clock>,
    pub run: Signal<In, bool>,
    pub apply_slot: Signal<In, bool>,
    pub serve_slot: Signal<In, bool>,
    pub client: Signal<In, Client>,
    pub rot: Signal<In, ReplicaNo>,
    /// Crash-stopped replicas.
    pub failed: Signal<In, ReplicaMask>,
    pub fwd_valid: Signal<In, bool>,
    pub fwd_shard: Signal<In, Shard>,
    pub fwd_rep: Signal<In, ReplicaNo>,
    pub fwd_op: Signal<In, OpCode>,
    pub fwd_key: Signal<In, Key>,
    pub fwd_value: Signal<In, Value>,
    pub resp_valid: Signal<Out, bool>,
    pub resp_status: Signal<Out, StatusCode>,
    pub resp_has_value: Signal<Out, bool>,
    pub resp_value: Signal<Out, Value>,
    /// Maintenance (the core is paused): clear every pipeline; wipe the
    /// replicas in `wipe`; read set `sw_set` and show slot `sw_slot` (the
    /// clock after, `sw_next` now); copy replica `cp_src`'s slots into the
    /// replicas in `cp_dst`.
    pub clear: Signal<In, bool>,
    pub wipe: Signal<In, ReplicaMask>,
    pub sw_read: Signal<In, bool>,
    pub sw_set: Signal<In, SetAddr>,
    pub sw_slot: Signal<In, SlotNo>,
    pub sw_next: Signal<In, MainSlot>,
    pub cp_go: Signal<In, bool>,
    pub cp_src: Signal<In, ReplicaNo>,
    pub cp_dst: Signal<In, ReplicaMask>,
    /// The slot `sw_slot` was a clock ago, of replica `cp_src`'s set read
    /// two clocks ago (the engines' read-out is registered).
    pub rd: SlotOut,
    /// `cp_go` and `sw_slot` a clock ago: the copy bus's slot, as `rd`.
    cp_go_d: DFF<bool>,
    cp_slot_d: DFF<SlotNo>,
    nodes: Vec<ReplicaNode>,
    rep_no: Vec<Constant<ReplicaNo>>,
    /// The update link, packed (`UpdWord`).
    upd: Delay<UpdWord, { crate::core::links::UPDATE_A }>,
    cp_used: Signal<Local, bool>,
    cp_key: Signal<Local, Key>,
    cp_value: Signal<Local, Value>,
}

impl ShardGroup {
    pub fn new(shard: usize) -> Self {
        let l = crate::core::links::UPDATE;
        ShardGroup {
            clock: Default::default(),
            run: Default::default(),
            apply_slot: Default::default(),
            serve_slot: Default::default(),
            client: Default::default(),
            rot: Default::default(),
            failed: Default::default(),
            fwd_valid: Default::default(),
            fwd_shard: Default::default(),
            fwd_rep: Default::default(),
            fwd_op: Default::default(),
            fwd_key: Default::default(),
            fwd_value: Default::default(),
            resp_valid: Default::default(),
            resp_status: Default::default(),
            resp_has_value: Default::default(),
            resp_value: Default::default(),
            clear: Default::default(),
            wipe: Default::default(),
            sw_read: Default::default(),
            sw_set: Default::default(),
            sw_slot: Default::default(),
            sw_next: Default::default(),
            cp_go: Default::default(),
            cp_src: Default::default(),
            cp_dst: Default::default(),
            rd: Default::default(),
            cp_go_d: Default::default(),
            cp_slot_d: Default::default(),
            cp_used: Default::default(),
            cp_key: Default::default(),
            cp_value: Default::default(),
            nodes: (0..R).map(|r| ReplicaNode::new(shard, r)).collect(),
            rep_no: (0..R).map(|r| k(r as u64)).collect(),
            upd: Delay::new(l),
        }
    }
}

impl Logic for ShardGroup {
    #[hdl_gen]
    fn update(&mut self) {
        self.cp_go_d.clock.next = self.clock.val();
        self.cp_slot_d.clock.next = self.clock.val();
        self.cp_go_d.d.next = self.cp_go.val();
        self.cp_slot_d.d.next = self.sw_slot.val();
        self.upd.clock.next = self.clock.val();
        self.upd.run.next = self.run.val();
        self.upd.clear.next = self.clear.val();
        self.upd.d.next.valid = false;
        self.upd.d.next.delete = false;
        self.upd.d.next.origin = 0.into();
        self.upd.d.next.slot = 0.into();
        self.upd.d.next.key = 0.into();
        self.upd.d.next.value = 0.into();
        self.resp_valid.next = false;
        self.resp_status.next = 0.into();
        self.resp_has_value.next = false;
        self.resp_value.next = 0.into();
        self.cp_used.next = false;
        self.cp_key.next = 0.into();
        self.cp_value.next = 0.into();
        for r in 0..R {
            if self.cp_src.val() == self.rep_no[r].val() {
                self.cp_used.next = self.nodes[r].sweep_out.used.val();
                self.cp_key.next = self.nodes[r].sweep_out.key.val();
                self.cp_value.next = self.nodes[r].sweep_out.value.val();
            }
        }
        self.rd.used.next = self.cp_used.val();
        self.rd.key.next = self.cp_key.val();
        self.rd.value.next = self.cp_value.val();
        for r in 0..R {
            self.nodes[r].clear.next = self.clear.val();
            self.nodes[r].wipe.next = self.wipe.val().get_bit(r);
            self.nodes[r].sw_read.next =
                self.sw_read.val() & (self.cp_src.val() == self.rep_no[r].val());
            self.nodes[r].sw_set.next = self.sw_set.val();
            self.nodes[r].sw_slot.next = self.sw_slot.val();
            self.nodes[r].sw_next.next = self.sw_next.val();
            self.nodes[r].cp_dst.next = self.cp_dst.val().get_bit(r);
            self.nodes[r].cp_go.next = self.cp_go_d.q.val();
            self.nodes[r].cp_slot.next = self.cp_slot_d.q.val();
            self.nodes[r].cp_used.next = self.cp_used.val();
            self.nodes[r].cp_key.next = self.cp_key.val();
            self.nodes[r].cp_value.next = self.cp_value.val();
            self.nodes[r].clock.next = self.clock.val();
            self.nodes[r].run.next = self.run.val();
            self.nodes[r].apply_slot.next = self.apply_slot.val();
            self.nodes[r].serve_slot.next = self.serve_slot.val();
            self.nodes[r].client.next = self.client.val();
            self.nodes[r].rot.next = self.rot.val();
            self.nodes[r].failed.next = self.failed.val().get_bit(r);
            self.nodes[r].fwd_valid.next = self.fwd_valid.val();
            self.nodes[r].fwd_shard.next = self.fwd_shard.val();
            self.nodes[r].fwd_rep.next = self.fwd_rep.val();
            self.nodes[r].fwd_op.next = self.fwd_op.val();
            self.nodes[r].fwd_key.next = self.fwd_key.val();
            self.nodes[r].fwd_value.next = self.fwd_value.val();
            self.nodes[r].upd_valid.next = self.upd.q.val().valid;
            self.nodes[r].upd_delete.next = self.upd.q.val().delete;
            self.nodes[r].upd_origin.next = self.upd.q.val().origin;
            self.nodes[r].upd_slot.next = self.upd.q.val().slot;
            self.nodes[r].upd_key.next = self.upd.q.val().key;
            self.nodes[r].upd_value.next = self.upd.q.val().value;
            if self.nodes[r].upd_out_valid.val() {
                self.upd.d.next.valid = true;
                self.upd.d.next.delete = self.nodes[r].upd_out_delete.val();
                self.upd.d.next.origin = self.rep_no[r].val();
                self.upd.d.next.slot = self.nodes[r].upd_out_slot.val();
                self.upd.d.next.key = self.nodes[r].upd_out_key.val();
                self.upd.d.next.value = self.nodes[r].upd_out_value.val();
            }
            if self.nodes[r].resp_valid.val() {
                self.resp_valid.next = true;
                self.resp_status.next = self.nodes[r].resp_status.val();
                self.resp_has_value.next = self.nodes[r].resp_has_value.val();
                self.resp_value.next = self.nodes[r].resp_value.val();
            }
        }
    }
}
