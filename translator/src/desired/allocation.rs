//! Allocates the small integers eucanetd names and addresses things by (`reference/eucanetd.md`
//! §2.2): a router id (`rtid`) per VPC and per NAT gateway from one pool (2 up to
//! `MIDO_MAX_RTID`, skipping the ids whose metadata uplink would fall in `MIDO_EXTMD_CIDR`:
//! 10744–10751 by default), and an `eniid` per interface (10 up to `MIDO_MAX_ENIID`).
//!
//! Stable: an owner keeps the id it had while that id is still valid, so names and addresses do
//! not move across restarts. New owners take the lowest free id, in id order of the owners (VPCs,
//! then NAT gateways), so the result depends on no hash order.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;

use super::{Constants, TranslateError};
use crate::gni::{Changes, Gni, Instance, Shared, Vpc};

/// The first router id of a VPC or NAT gateway; 1 is `eucart`'s transit address.
pub const FIRST_RTID: u32 = 2;
/// The first ENI id (`255.0.0.10` is the first metadata source address).
pub const FIRST_ENIID: u32 = 10;

/// Router ids by VPC or NAT gateway id, ENI ids by interface name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Allocations {
    pub rtids: BTreeMap<String, u32>,
    pub eniids: BTreeMap<String, u32>,
}

/// The router ids that MidoNet's router names carry (`vr_<vpc>_<rtid>`,
/// `natr_<nat>_<subnet>_<rtid>`), so a restarted translator keeps every VPC's id and hence
/// its names and addresses. ENI ids name nothing in MidoNet under the namespace metadata
/// design, so there are none to recover; they are allocated afresh, stably by interface order.
pub fn from_names<'a>(routers: impl Iterator<Item = &'a str>) -> Allocations {
    let mut out = Allocations::default();
    for name in routers {
        let owner_and_id = name
            .strip_prefix("vr_")
            .and_then(|rest| rest.rsplit_once('_'))
            .or_else(|| {
                let rest = name.strip_prefix("natr_")?;
                let (head, id) = rest.rsplit_once('_')?;
                let (nat, _subnet) = head.rsplit_once('_')?;
                Some((nat, id))
            });
        if let Some((owner, id)) = owner_and_id {
            if let Ok(id) = id.parse::<u32>() {
                out.rtids.insert(owner.to_owned(), id);
            }
        }
    }
    out
}

pub(super) fn allocate(
    gni: &Gni,
    previous: &Allocations,
    constants: &Constants,
) -> Result<Allocations, TranslateError> {
    let reserved = rtid_reserved(constants);
    let mut rtid_owners: Vec<String> = gni.vpcs.keys().map(|v| v.as_str().to_owned()).collect();
    rtid_owners.extend(
        gni.vpcs
            .values()
            .flat_map(|v| v.nat_gateways.keys().map(|n| n.as_str().to_owned())),
    );
    let rtids = assign(
        rtid_owners,
        &previous.rtids,
        FIRST_RTID..=constants.max_rtid,
        &reserved,
    )
    .map_err(|owner| TranslateError::RtidsExhausted {
        owner,
        max: constants.max_rtid,
    })?;
    let interfaces: Vec<String> = gni
        .interfaces()
        .map(|(_, i)| i.name.as_str().to_owned())
        .collect();
    let eniids = assign(
        interfaces,
        &previous.eniids,
        FIRST_ENIID..=constants.max_eniid,
        |_| false,
    )
    .map_err(|interface| TranslateError::EniidsExhausted {
        interface,
        max: constants.max_eniid,
    })?;
    Ok(Allocations { rtids, eniids })
}

/// `allocate(new, previous, constants)` where `previous` is what `allocate` gave `old` under
/// the same constants, found from what differs between the two GNIs instead of from every
/// owner: owners that stay keep their ids in both, those gone free theirs, and those that came
/// take the lowest free ids in the order `allocate` visits owners. A one-instance change of a
/// 10,000-instance GNI costs its own interfaces, not 10,000 names.
pub(super) fn reallocate(
    changes: &Changes,
    new: &Gni,
    previous: &Allocations,
    constants: &Constants,
) -> Result<Allocations, TranslateError> {
    let reserved = rtid_reserved(constants);
    let mut out = previous.clone();

    // Router ids: VPCs first, then NAT gateways VPC by VPC, as `allocate` orders them.
    let vpcs = &changes.vpcs;
    let mut gone: BTreeSet<&str> = BTreeSet::new();
    for vpc in vpcs {
        gone.insert(vpc.id.as_str());
        gone.extend(vpc.nat_gateways.keys().map(|n| n.as_str()));
    }
    let mut came: Vec<String> = Vec::new();
    let now: Vec<&Vpc> = vpcs
        .iter()
        .filter(|v| new.vpcs.get(&v.id).is_some_and(|n| Shared::ptr_eq(n, v)))
        .map(|v| &***v)
        .collect();
    for vpc in &now {
        gone.remove(vpc.id.as_str());
        came.push(vpc.id.as_str().to_owned());
    }
    for vpc in &now {
        for nat in vpc.nat_gateways.keys() {
            gone.remove(nat.as_str());
            came.push(nat.as_str().to_owned());
        }
    }
    update(
        &mut out.rtids,
        &gone,
        came,
        FIRST_RTID..=constants.max_rtid,
        &reserved,
    )
    .map_err(|owner| TranslateError::RtidsExhausted {
        owner,
        max: constants.max_rtid,
    })?;

    // Interface ids, in `Gni::interfaces` order: instance by instance.
    let instances = &changes.instances;
    let mut gone: BTreeSet<&str> = BTreeSet::new();
    for instance in instances {
        gone.extend(instance.interfaces.keys().map(|i| i.as_str()));
    }
    // `differing` walks in id order, which is `Gni::interfaces` order.
    let now: Vec<&Instance> = instances
        .iter()
        .filter(|i| {
            new.instances
                .get(&i.id)
                .is_some_and(|n| Shared::ptr_eq(n, i))
        })
        .map(|i| &***i)
        .collect();
    let mut came: Vec<String> = Vec::new();
    for instance in now {
        for name in instance.interfaces.keys() {
            gone.remove(name.as_str());
            came.push(name.as_str().to_owned());
        }
    }
    update(
        &mut out.eniids,
        &gone,
        came,
        FIRST_ENIID..=constants.max_eniid,
        |_| false,
    )
    .map_err(|interface| TranslateError::EniidsExhausted {
        interface,
        max: constants.max_eniid,
    })?;
    Ok(out)
}

/// Removes the owners `gone` from `ids`, then gives each owner of `came` without an id the
/// lowest free one, in order; fails with the first owner left without an id.
fn update(
    ids: &mut BTreeMap<String, u32>,
    gone: &BTreeSet<&str>,
    came: Vec<String>,
    range: RangeInclusive<u32>,
    reserved: impl Fn(u32) -> bool,
) -> Result<(), String> {
    for owner in gone {
        ids.remove(*owner);
    }
    let came: Vec<String> = came.into_iter().filter(|o| !ids.contains_key(o)).collect();
    if came.is_empty() {
        return Ok(());
    }
    let mut taken: BTreeSet<u32> = ids.values().copied().collect();
    let mut cursor = *range.start();
    for owner in came {
        match take_lowest(&mut cursor, &range, &mut taken, &reserved) {
            Some(id) => ids.insert(owner, id),
            None => return Err(owner),
        };
    }
    Ok(())
}

/// Whether a router id is one of `reserved_rtids`.
fn rtid_reserved(constants: &Constants) -> impl Fn(u32) -> bool {
    let reserved = reserved_rtids(constants);
    move |id| reserved.as_ref().is_some_and(|r| r.contains(&id))
}

/// The router ids whose metadata uplink (`MIDO_INTMD_CIDR` + rtid) would fall inside
/// `MIDO_EXTMD_CIDR`; none when the networks do not overlap.
fn reserved_rtids(constants: &Constants) -> Option<RangeInclusive<u32>> {
    let (md, ext) = (constants.intmd_cidr, constants.extmd_cidr);
    md.contains(ext.network()).then(|| {
        let start = u32::from(ext.network()) - u32::from(md.network());
        start..=start.saturating_add(ext.size().saturating_sub(1))
    })
}

/// Gives every owner an id in `range`: its previous one when valid and not claimed by an
/// earlier owner, else the lowest free one. Fails with the first owner left without an id.
fn assign(
    owners: Vec<String>,
    previous: &BTreeMap<String, u32>,
    range: RangeInclusive<u32>,
    reserved: impl Fn(u32) -> bool,
) -> Result<BTreeMap<String, u32>, String> {
    let mut taken = BTreeSet::new();
    let kept: Vec<Option<u32>> = owners
        .iter()
        .map(|owner| {
            previous
                .get(owner)
                .copied()
                .filter(|&id| range.contains(&id) && !reserved(id) && taken.insert(id))
        })
        .collect();
    let mut out = BTreeMap::new();
    let mut cursor = *range.start();
    for (owner, kept) in owners.into_iter().zip(kept) {
        let id = match kept.or_else(|| take_lowest(&mut cursor, &range, &mut taken, &reserved)) {
            Some(id) => id,
            None => return Err(owner),
        };
        out.insert(owner, id);
    }
    Ok(out)
}

/// The lowest id of `range` from `cursor` on that is neither taken nor reserved, now taken.
/// Ids only grow as new owners take them, so one cursor walks the range once.
fn take_lowest(
    cursor: &mut u32,
    range: &RangeInclusive<u32>,
    taken: &mut BTreeSet<u32>,
    reserved: &impl Fn(u32) -> bool,
) -> Option<u32> {
    while *cursor <= *range.end() && (taken.contains(cursor) || reserved(*cursor)) {
        *cursor += 1;
    }
    (*cursor <= *range.end()).then(|| {
        taken.insert(*cursor);
        *cursor
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owners(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn router_names_give_back_their_ids() {
        let got = from_names(
            [
                "vr_vpc-0000000a_7",
                "natr_nat-000000a1_subnet-000000a1_9",
                "eucart",
                "vr_bad_x",
            ]
            .into_iter(),
        );
        assert_eq!(got.rtids["vpc-0000000a"], 7);
        assert_eq!(got.rtids["nat-000000a1"], 9);
        assert_eq!(got.rtids.len(), 2);
    }

    #[test]
    fn new_owners_take_the_lowest_free_ids_and_old_ones_keep_theirs() {
        let previous = BTreeMap::from([("vpc-b".to_owned(), 2), ("vpc-c".to_owned(), 5)]);
        let got = assign(
            owners(&["vpc-a", "vpc-b", "vpc-c", "vpc-d"]),
            &previous,
            2..=10,
            |_| false,
        )
        .expect("room enough");
        assert_eq!(got["vpc-b"], 2);
        assert_eq!(got["vpc-c"], 5);
        assert_eq!(got["vpc-a"], 3);
        assert_eq!(got["vpc-d"], 4);
    }

    #[test]
    fn invalid_or_clashing_previous_ids_are_reallocated() {
        let previous = BTreeMap::from([
            ("vpc-a".to_owned(), 7),
            ("vpc-b".to_owned(), 7),
            ("vpc-c".to_owned(), 99),
            ("vpc-d".to_owned(), 4),
        ]);
        let got = assign(
            owners(&["vpc-a", "vpc-b", "vpc-c", "vpc-d"]),
            &previous,
            2..=10,
            |id| id == 4,
        )
        .expect("room enough");
        assert_eq!(got["vpc-a"], 7, "the first claimant keeps a shared id");
        assert_eq!(got["vpc-b"], 2);
        assert_eq!(got["vpc-c"], 3, "out of range");
        assert_eq!(got["vpc-d"], 5, "reserved ids are never kept nor given");
    }

    #[test]
    fn the_metadata_window_is_skipped_and_exhaustion_names_the_owner() {
        let reserved = reserved_rtids(&Constants::default()).expect("the windows overlap");
        assert_eq!(reserved, 10744..=10751);
        let previous = BTreeMap::new();
        let got = assign(owners(&["a", "b"]), &previous, 10743..=10752, |id| {
            reserved.contains(&id)
        })
        .expect("two free ids");
        assert_eq!((got["a"], got["b"]), (10743, 10752));
        let full = assign(owners(&["a", "b", "c"]), &previous, 2..=3, |_| false);
        assert_eq!(full, Err("c".to_owned()));
    }
}
