//! The cloud load balancers' TLVs in the custom range (§2.2.8): AWS and
//! Azure put a subtype byte before the value; Google Cloud sends a bare u64.

use crate::Text;
use crate::codepoint::open_enum;

open_enum! {
    /// The subtype byte of an AWS TLV (0xEA).
    pub enum AwsSubtype {
        /// PP2_SUBTYPE_AWS_VPCE_ID: the VPC endpoint id, text.
        VpceId = 0x01,
    }
}

open_enum! {
    /// The subtype byte of an Azure TLV (0xEE).
    pub enum AzureSubtype {
        /// PP2_SUBTYPE_AZURE_PRIVATEENDPOINT_LINKID: a little-endian u32.
        PrivateEndpointLinkId = 0x01,
    }
}

/// An AWS TLV (0xEA): a subtype byte, then the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Aws<'a>(&'a [u8]);

impl<'a> Aws<'a> {
    pub(crate) const fn new(value: &'a [u8]) -> Self {
        Aws(value)
    }

    /// The subtype, when the value has one.
    pub fn subtype(&self) -> Option<AwsSubtype> {
        self.0.first().map(|&b| AwsSubtype::from(b))
    }

    /// The value after the subtype byte.
    pub fn value(&self) -> &'a [u8] {
        self.0.get(1..).unwrap_or_default()
    }

    /// The VPC endpoint id (`vpce-...`), for that subtype.
    pub fn vpc_endpoint_id(&self) -> Option<Text<'a>> {
        (self.subtype()? == AwsSubtype::VpceId).then(|| Text::new(self.value()))
    }
}

/// An Azure TLV (0xEE): a subtype byte, then the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Azure<'a>(&'a [u8]);

impl<'a> Azure<'a> {
    pub(crate) const fn new(value: &'a [u8]) -> Self {
        Azure(value)
    }

    /// The subtype, when the value has one.
    pub fn subtype(&self) -> Option<AzureSubtype> {
        self.0.first().map(|&b| AzureSubtype::from(b))
    }

    /// The value after the subtype byte.
    pub fn value(&self) -> &'a [u8] {
        self.0.get(1..).unwrap_or_default()
    }

    /// The private endpoint LinkID, for that subtype with a 4-byte value.
    pub fn private_endpoint_link_id(&self) -> Option<u32> {
        if self.subtype()? != AzureSubtype::PrivateEndpointLinkId {
            return None;
        }
        self.value().try_into().ok().map(u32::from_le_bytes)
    }
}
