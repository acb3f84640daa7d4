//! `proxy-hdr encode`, and the header options `send` shares.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use proxy_hdr::Version;
use proxy_hdr::v2::TlvType;
use proxy_hdr_cli::json::hex;
use proxy_hdr_cli::vector::from_hex;
use proxy_hdr_io::Outbound;

/// What header to build.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct HeaderArgs {
    /// A v1 text line.
    #[arg(long, conflicts_with = "v2", required_unless_present = "v2")]
    pub(crate) v1: bool,
    /// A v2 binary header.
    #[arg(long)]
    pub(crate) v2: bool,
    /// The client address (IP:PORT).
    #[arg(long)]
    pub(crate) source: Option<SocketAddr>,
    /// The address the client connected to (IP:PORT).
    #[arg(long)]
    pub(crate) destination: Option<SocketAddr>,
    /// A LOCAL header (v2; a health check), no addresses.
    #[arg(long, conflicts_with_all = ["source", "destination"])]
    pub(crate) local: bool,
    /// A UDP connection (v2 DGRAM) instead of TCP.
    #[arg(long)]
    pub(crate) udp: bool,
    /// A TLV, as TYPE=HEX (TYPE in decimal or 0x..), repeatable (v2).
    #[arg(long, value_name = "TYPE=HEX")]
    pub(crate) tlv: Vec<String>,
    /// An AUTHORITY TLV with this host name (v2).
    #[arg(long, value_name = "HOST")]
    pub(crate) authority: Option<String>,
    /// A CRC32C TLV over the header (v2).
    #[arg(long)]
    pub(crate) crc32c: bool,
}

impl HeaderArgs {
    /// The header's bytes, with the addresses given or, when a socket is
    /// at hand, its own (`fallback`).
    pub(crate) fn wire(
        &self,
        fallback: Option<(SocketAddr, SocketAddr)>,
    ) -> Result<Vec<u8>, String> {
        let version = if self.v1 { Version::V1 } else { Version::V2 };
        let mut out = if self.local {
            if self.v1 {
                return Err("--local needs --v2 (v1 has no LOCAL command)".into());
            }
            Outbound::local()
        } else {
            match (
                self.source.or(fallback.map(|f| f.0)),
                self.destination.or(fallback.map(|f| f.1)),
            ) {
                (Some(source), Some(destination)) => Outbound::v2(source, destination),
                (None, None) => Outbound::unknown(version),
                _ => return Err("--source and --destination go together".into()),
            }
        };
        if self.udp {
            out = out.with_protocol(proxy_hdr::Protocol::Dgram);
        }
        for tlv in &self.tlv {
            let (kind, value) = parse_tlv(tlv)?;
            out = out.tlv(kind, &value);
        }
        if let Some(host) = &self.authority {
            out = out.authority(host);
        }
        if self.crc32c {
            out = out.crc32c();
        }
        out.with_version(version).encode().map_err(|e| format!("cannot build the header: {e}"))
    }
}

fn parse_tlv(spec: &str) -> Result<(TlvType, Vec<u8>), String> {
    let (kind, value) =
        spec.split_once('=').ok_or_else(|| format!("--tlv {spec:?}: expected TYPE=HEX"))?;
    let kind = match kind.strip_prefix("0x") {
        Some(h) => u8::from_str_radix(h, 16),
        None => kind.parse(),
    }
    .map_err(|_| format!("--tlv {spec:?}: the type is not a byte (0..255 or 0x00..0xff)"))?;
    let value = from_hex(value).map_err(|e| format!("--tlv {spec:?}: {e}"))?;
    Ok((TlvType::from(kind), value))
}

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    header: HeaderArgs,
    /// Write hex text instead of raw bytes.
    #[arg(long)]
    hex: bool,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, String> {
    let wire = args.header.wire(None)?;
    let mut stdout = std::io::stdout().lock();
    let written =
        if args.hex { writeln!(stdout, "{}", hex(&wire)) } else { stdout.write_all(&wire) };
    written.map_err(|e| format!("cannot write: {e}"))?;
    Ok(ExitCode::SUCCESS)
}
