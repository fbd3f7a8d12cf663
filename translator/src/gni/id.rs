//! Names the GNI's objects: one id type per kind (`vpc-…`, `subnet-…`, `i-…`, …), each checked for
//! its prefix when parsed, so a subnet id cannot stand where a VPC id is expected.
//!
//! An id holds a shared string (`Arc<str>`): ids are copied into every map key and reference,
//! and a GNI re-read after a small change copies tens of thousands of them.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

/// What every id type offers, for code generic over the kind of object (parsing an element,
/// resolving a reference).
pub trait GniId: Sized + Clone + Ord + fmt::Display + Borrow<str> {
    /// The prefix every id of this kind starts with (`vpc-`).
    const PREFIX: &'static str;
    /// The XML element that defines an object of this kind (`networkAcl`).
    const ELEMENT: &'static str;
    /// What messages call an object of this kind (`network acl`).
    const KIND: &'static str;
    /// What a value that fails `parse` is not, for messages.
    const EXPECTED: &'static str;

    /// The id, if `s` is the prefix followed by one or more ASCII letters or digits (eucanetd's
    /// short 8-hex and long 17-hex ids alike).
    fn parse(s: &str) -> Option<Self>;

    fn as_str(&self) -> &str;
}

/// Defines an id newtype and its `GniId` impl; `Borrow<str>` lets maps keyed by the id be
/// queried with a `&str`.
macro_rules! gni_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $element:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Arc<str>);

        impl $name {
            /// See `GniId::parse`; here so callers need not import the trait.
            pub fn parse(s: &str) -> Option<Self> {
                <Self as GniId>::parse(s)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Whether both are one string, not merely equal ones: a test cheaper than `==`.
            // Made for every kind; `validate` uses it for those an interface repeats.
            #[allow(dead_code)]
            pub(crate) fn shares(&self, other: &Self) -> bool {
                Arc::ptr_eq(&self.0, &other.0)
            }
        }

        impl GniId for $name {
            const PREFIX: &'static str = $prefix;
            const ELEMENT: &'static str = $element;
            const KIND: &'static str = $kind;
            const EXPECTED: &'static str = concat!("an id of the form ", $prefix, "…");

            fn parse(s: &str) -> Option<Self> {
                let rest = s.strip_prefix($prefix)?;
                let alphanumeric = rest.bytes().all(|b| b.is_ascii_alphanumeric());
                (!rest.is_empty() && alphanumeric).then(|| Self(s.into()))
            }

            fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

gni_id!(
    /// A VPC, `vpc-…`.
    VpcId,
    "vpc-",
    "vpc",
    "vpc"
);
gni_id!(
    /// A VPC subnet, `subnet-…`.
    SubnetId,
    "subnet-",
    "subnet",
    "subnet"
);
gni_id!(
    /// A route table, `rtb-…`.
    RouteTableId,
    "rtb-",
    "routeTable",
    "route table"
);
gni_id!(
    /// A network ACL, `acl-…`.
    NetworkAclId,
    "acl-",
    "networkAcl",
    "network acl"
);
gni_id!(
    /// A NAT gateway, `nat-…`.
    NatGatewayId,
    "nat-",
    "natGateway",
    "nat gateway"
);
gni_id!(
    /// An internet gateway, `igw-…`.
    InternetGatewayId,
    "igw-",
    "internetGateway",
    "internet gateway"
);
gni_id!(
    /// An instance, `i-…`.
    InstanceId,
    "i-",
    "instance",
    "instance"
);
gni_id!(
    /// An elastic network interface, `eni-…`.
    EniId,
    "eni-",
    "networkInterface",
    "network interface"
);
gni_id!(
    /// A security group, `sg-…`.
    SecurityGroupId,
    "sg-",
    "securityGroup",
    "security group"
);
gni_id!(
    /// A DHCP option set, `dopt-…`.
    DhcpOptionSetId,
    "dopt-",
    "dhcpOptionSet",
    "dhcp option set"
);

/// The name every per-interface MidoNet object is built from (`vn_<if>`, `ic_<if>_prechain`, …):
/// the instance id for the primary interface (device index 0), the ENI id for the others, as
/// eucanetd's `gni_populate_instance_interface` names them (`reference/eucanetd.md` §1.2).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InterfaceName(Arc<str>);

impl InterfaceName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&InstanceId> for InterfaceName {
    fn from(id: &InstanceId) -> Self {
        Self(id.0.clone())
    }
}

impl From<&EniId> for InterfaceName {
    fn from(id: &EniId) -> Self {
        Self(id.0.clone())
    }
}

impl fmt::Display for InterfaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Borrow<str> for InterfaceName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_need_their_own_prefix_and_an_alphanumeric_rest() {
        assert_eq!(
            VpcId::parse("vpc-1f2e3d4c").map(|v| v.to_string()),
            Some("vpc-1f2e3d4c".into())
        );
        assert!(
            VpcId::parse("vpc-0123456789abcdef0").is_some(),
            "long ids are accepted"
        );
        assert!(VpcId::parse("subnet-1f2e3d4c").is_none());
        assert!(VpcId::parse("vpc-").is_none());
        assert!(VpcId::parse("vpc-1f2e 3d4c").is_none());
        assert!(InstanceId::parse("i-4a1b2c3d").is_some());
        assert!(
            EniId::parse("eni-attach-11223344").is_none(),
            "an attachment id is not an ENI id"
        );
    }

    #[test]
    fn maps_keyed_by_ids_answer_to_plain_strings() {
        let id = SubnetId::parse("subnet-0a0b0c0d").expect("a valid subnet id");
        let map = std::collections::BTreeMap::from([(id, 1)]);
        assert_eq!(map.get("subnet-0a0b0c0d"), Some(&1));
    }
}
