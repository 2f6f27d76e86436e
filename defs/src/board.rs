//! Boards as typed data (`constraints/BOARD.toml`), as amaranth-boards
//! keeps them: the part, the clocks, the UART rate, the programmer and the
//! board top's ports as named resources, each checked here against the
//! board's pin constraints file (PCF or LPF) so that a port without a pin,
//! or a pin without a port, is an error when the board top is generated,
//! not at place and route. `scripts/board.sh` reads a board through the
//! `tidekv-board` tool (`env`, `top`); the board top's Verilog is written
//! from this data (`Board::top_verilog`), never from strings in the file.

use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The FPGA family, which picks the flow (yosys `synth_*`, nextpnr-*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Ice40,
    Ecp5,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::Ice40 => "ice40",
            Family::Ecp5 => "ecp5",
        }
    }
    /// The input and output ports of the PLL module its tool writes
    /// (icepll, ecppll).
    pub fn pll_ports(self) -> (&'static str, &'static str) {
        match self {
            Family::Ice40 => ("clock_in", "clock_out"),
            Family::Ecp5 => ("clkin", "clkout0"),
        }
    }
}

/// What a resource is to the board top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The oscillator (input).
    Clock,
    /// The UART line into the FPGA, and out of it.
    UartRx,
    UartTx,
    /// A button that resets the device while pressed (active low).
    ResetN,
    /// An output driven from the device's state (`drive`).
    Output,
}

/// How the programmer is called.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Programmer {
    pub tool: String,
    #[serde(default)]
    pub args: Vec<String>,
}

/// One named port of the board top, by its name in the constraints file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    pub name: String,
    pub role: Role,
    /// An output's bits, most significant first: `reset`, `round[N]`
    /// (N < 48), `1` or `0`, each negated by a leading `!`.
    #[serde(default)]
    pub drive: Vec<String>,
}

/// A board: `constraints/NAME.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    pub name: String,
    pub description: String,
    pub family: Family,
    /// The part and package as nextpnr names them (`--up5k`, `--85k`).
    pub device: String,
    pub package: String,
    /// The ECP5's speed grade (none on the iCE40).
    pub speed: Option<u32>,
    pub osc_mhz: f64,
    /// The design clock, made from the oscillator by the family's PLL (or
    /// the oscillator itself when equal).
    pub clock_mhz: f64,
    pub baud: u32,
    /// The pin constraints file, in `constraints/`.
    pub constraints: String,
    /// The configuration built when none is named.
    pub default_preset: String,
    pub programmer: Programmer,
    #[serde(rename = "resource")]
    pub resources: Vec<Resource>,
}

/// A board file that cannot be used: which file, which field, why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {field}: {reason}")]
pub struct BoardError {
    pub file: String,
    pub field: String,
    pub reason: String,
}

/// One bit an output shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Reset,
    Round(u32),
    Const(bool),
}

fn parse_bit(s: &str) -> Option<(bool, Source)> {
    let (neg, t) = match s.strip_prefix('!') {
        Some(t) => (true, t),
        None => (false, s),
    };
    let src = match t {
        "reset" => Source::Reset,
        "1" => Source::Const(true),
        "0" => Source::Const(false),
        _ => {
            let n: u32 = t.strip_prefix("round[")?.strip_suffix(']')?.parse().ok()?;
            (n < 48).then_some(Source::Round(n))?
        }
    };
    Some((neg, src))
}

fn verilog_bit((neg, src): (bool, Source)) -> String {
    let b = match src {
        Source::Reset => "reset".to_string(),
        Source::Round(n) => format!("round[{n}]"),
        Source::Const(v) => format!("1'b{}", u8::from(v)),
    };
    if neg {
        format!("!{b}")
    } else {
        b
    }
}

impl Resource {
    /// Pins it takes: an output one a bit, anything else one.
    pub fn width(&self) -> usize {
        if self.role == Role::Output {
            self.drive.len()
        } else {
            1
        }
    }
    /// Its pins by the constraints file's names: `NAME`, or `NAME[i]`.
    pub fn pins(&self) -> Vec<String> {
        if self.width() == 1 {
            vec![self.name.clone()]
        } else {
            (0..self.width())
                .map(|i| format!("{}[{i}]", self.name))
                .collect()
        }
    }
}

/// The pin names a constraints file gives: a PCF's `set_io [-flags] NAME
/// PIN`, an LPF's `LOCATE COMP "NAME" SITE ...`.
pub fn constrained_pins(text: &str, family: Family) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        match family {
            Family::Ice40 => {
                let mut w = line.split_whitespace();
                if w.next() == Some("set_io") {
                    if let Some(name) = w.find(|t| !t.starts_with('-')) {
                        out.insert(name.to_string());
                    }
                }
            }
            Family::Ecp5 => {
                if let Some(rest) = line.strip_prefix("LOCATE COMP \"") {
                    if let Some(name) = rest.split('"').next() {
                        out.insert(name.to_string());
                    }
                }
            }
        }
    }
    out
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

impl Board {
    /// The boards in `root/constraints`, by name.
    pub fn names(root: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(root.join("constraints"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        v.sort();
        v
    }

    /// The board file of `name` under `root`.
    pub fn path(root: &Path, name: &str) -> PathBuf {
        root.join("constraints").join(format!("{name}.toml"))
    }

    /// Load, parse and check board `name` of the repository at `root`.
    pub fn load(root: &Path, name: &str) -> Result<Board, BoardError> {
        let path = Board::path(root, name);
        let file = format!("constraints/{name}.toml");
        let err = |field: &str, reason: String| BoardError {
            file: file.clone(),
            field: field.to_string(),
            reason,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            err(
                "(file)",
                format!(
                    "cannot read it ({e}); boards: {}",
                    Board::names(root).join(", ")
                ),
            )
        })?;
        let b: Board = toml::from_str(&text).map_err(|e| {
            let field = e
                .span()
                .map(|s| {
                    let line = text[..s.start].lines().count().max(1);
                    format!("line {line}")
                })
                .unwrap_or_else(|| "(file)".into());
            err(&field, e.message().to_string())
        })?;
        if b.name != name {
            return Err(err(
                "name",
                format!("{:?}, but the file is {name}.toml", b.name),
            ));
        }
        let cpins = std::fs::read_to_string(root.join("constraints").join(&b.constraints))
            .map_err(|e| {
                err(
                    "constraints",
                    format!("cannot read constraints/{} ({e})", b.constraints),
                )
            })?;
        b.check(&cpins).map_err(|(f, r)| err(&f, r))?;
        Ok(b)
    }

    /// Check the fields against each other and the constraints file's text:
    /// `Err((field, reason))`.
    pub fn check(&self, constraints: &str) -> Result<(), (String, String)> {
        let bad = |f: &str, r: String| Err((f.to_string(), r));
        match (self.family, self.speed) {
            (Family::Ecp5, None) => return bad("speed", "the ECP5 needs a speed grade".into()),
            (Family::Ice40, Some(_)) => {
                return bad("speed", "the iCE40 has no speed grade here".into())
            }
            _ => {}
        }
        if !(self.osc_mhz > 0.0 && self.clock_mhz > 0.0) {
            return bad("clock_mhz", "the clocks must be positive".into());
        }
        if self.baud == 0 || f64::from(self.baud) * 4.0 > self.clock_mhz * 1e6 {
            return bad(
                "baud",
                format!(
                    "{} baud needs at least 4 clocks a bit at {} MHz",
                    self.baud, self.clock_mhz
                ),
            );
        }
        if let Err(e) = crate::Config::preset(&self.default_preset) {
            return bad("default_preset", e.to_string());
        }
        let mut names = BTreeSet::new();
        for (i, r) in self.resources.iter().enumerate() {
            let f = format!("resource[{i}]");
            if !is_ident(&r.name) || !names.insert(r.name.clone()) {
                return bad(
                    &format!("{f}.name"),
                    format!("{:?}: a Verilog name, once per board", r.name),
                );
            }
            match (r.role, r.drive.is_empty()) {
                (Role::Output, true) => {
                    return bad(&format!("{f}.drive"), "an output needs its bits".into())
                }
                (Role::Output, false) => {}
                (_, false) => return bad(&format!("{f}.drive"), "only an output is driven".into()),
                _ => {}
            }
            for (j, d) in r.drive.iter().enumerate() {
                if parse_bit(d).is_none() {
                    return bad(
                        &format!("{f}.drive[{j}]"),
                        format!(
                            "{d:?}: one of reset, round[N] (N < 48), 1, 0, each maybe !-negated"
                        ),
                    );
                }
            }
        }
        for role in [Role::Clock, Role::UartRx, Role::UartTx, Role::ResetN] {
            let n = self.resources.iter().filter(|r| r.role == role).count();
            if n != 1 {
                return bad(
                    "resource",
                    format!("{n} resources of role {role:?}: the board top needs one"),
                );
            }
        }
        let want: BTreeSet<String> = self.resources.iter().flat_map(Resource::pins).collect();
        let have = constrained_pins(constraints, self.family);
        let missing: Vec<_> = want.difference(&have).collect();
        let extra: Vec<_> = have.difference(&want).collect();
        if !missing.is_empty() || !extra.is_empty() {
            return bad(
                "constraints",
                format!(
                    "{} and the resources disagree: ports with no pin {missing:?}, pins with no port {extra:?}",
                    self.constraints
                ),
            );
        }
        Ok(())
    }

    fn port(&self, role: Role) -> &str {
        &self
            .resources
            .iter()
            .find(|r| r.role == role)
            .expect("checked: one of each")
            .name
    }

    /// `scripts/board.sh`'s variables, as shell assignments.
    pub fn shell_env(&self) -> String {
        let q = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
        let mhz = |x: f64| {
            if x.fract() == 0.0 {
                format!("{}", x as u64)
            } else {
                format!("{x}")
            }
        };
        [
            ("FAMILY", self.family.name().to_string()),
            ("DEVICE", self.device.clone()),
            ("PACKAGE", self.package.clone()),
            (
                "SPEED",
                self.speed.map(|s| s.to_string()).unwrap_or_default(),
            ),
            ("OSC_MHZ", mhz(self.osc_mhz)),
            ("CLOCK_MHZ", mhz(self.clock_mhz)),
            ("BAUD", self.baud.to_string()),
            ("PINS", self.constraints.clone()),
            ("OSC_PIN", self.port(Role::Clock).to_string()),
            ("PROG", self.programmer.tool.clone()),
            ("PROG_ARGS", self.programmer.args.join(" ")),
            ("DEFAULT_PRESET", self.default_preset.clone()),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}\n", q(v)))
        .collect()
    }

    /// The board top: the oscillator through `tidekv_pll`, a reset held
    /// until the PLL has locked and 255 clocks after and while the reset
    /// button is pressed, the device top on the UART pins, and every output
    /// resource driven from `reset` and the device's `round`.
    pub fn top_verilog(&self) -> String {
        let (pin, pout) = self.family.pll_ports();
        let mut ports = vec![
            format!("input  wire {}", self.port(Role::Clock)),
            format!("input  wire {}", self.port(Role::UartRx)),
            format!("output wire {}", self.port(Role::UartTx)),
            format!("input  wire {}", self.port(Role::ResetN)),
        ];
        let mut assigns = String::new();
        for r in self.resources.iter().filter(|r| r.role == Role::Output) {
            let w = r.width();
            ports.push(if w == 1 {
                format!("output wire {}", r.name)
            } else {
                format!("output wire [{}:0] {}", w - 1, r.name)
            });
            let bits: Vec<String> = r
                .drive
                .iter()
                .map(|d| verilog_bit(parse_bit(d).expect("checked")))
                .collect();
            assigns += &format!("    assign {} = {{{}}};\n", r.name, bits.join(", "));
        }
        format!(
            "// Written by tidekv-board from constraints/{name}.toml ({desc}).
module board_top(
    {ports}
);
    wire clock, locked;
    tidekv_pll pll(.{pin}({osc}), .{pout}(clock), .locked(locked));

    reg [7:0] por = 8'd0;
    always @(posedge clock)
        if (!locked || !{btn}) por <= 8'd0;
        else if (por != 8'hff) por <= por + 8'd1;
    wire reset = por != 8'hff;

    wire [47:0] round;
    wire byte_tx_valid;
    wire [7:0] byte_tx_data;
    tidekv_device dev(
        .clock(clock), .reset(reset),
        .uart_rx({rx}), .uart_tx({tx}),
        .bypass(1'b0), .byte_rx_valid(1'b0), .byte_rx_data(8'd0),
        .byte_tx_valid(byte_tx_valid), .byte_tx_data(byte_tx_data), .byte_tx_ready(1'b0),
        .round(round));

{assigns}endmodule
",
            name = self.name,
            desc = self.description,
            ports = ports.join(",\n    "),
            osc = self.port(Role::Clock),
            btn = self.port(Role::ResetN),
            rx = self.port(Role::UartRx),
            tx = self.port(Role::UartTx),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .to_path_buf()
    }

    #[test]
    fn the_shipped_boards_load_and_write_their_tops() {
        let names = Board::names(&root());
        assert_eq!(names, ["icebreaker", "ulx3s"]);
        for n in &names {
            let b = Board::load(&root(), n).unwrap_or_else(|e| panic!("{e}"));
            let top = b.top_verilog();
            for r in &b.resources {
                assert!(top.contains(&r.name), "{n}: {} in the top", r.name);
            }
            assert!(b.shell_env().contains("FAMILY="));
        }
        let u = Board::load(&root(), "ulx3s").unwrap();
        assert!(u
            .top_verilog()
            .contains("assign led = {reset, round[26], round[25], round[24], round[23], round[22], round[21], round[20]};"));
        assert!(u.shell_env().contains("SPEED='6'\n"));
        let i = Board::load(&root(), "icebreaker").unwrap();
        assert!(i.top_verilog().contains("assign led_red_n = {!reset};"));
    }

    /// A bad board says which file, which field and why.
    #[test]
    fn bad_boards_are_refused_with_the_field() {
        let text = std::fs::read_to_string(Board::path(&root(), "ulx3s")).unwrap();
        let lpf = std::fs::read_to_string(root().join("constraints/ulx3s.lpf")).unwrap();
        let parse = |t: &str| toml::from_str::<Board>(t).map_err(|e| e.message().to_string());
        for (from, to, field, says) in [
            ("speed = 6", "", "speed", "speed grade"),
            (
                "baud = 3000000",
                "baud = 30000000",
                "baud",
                "4 clocks a bit",
            ),
            ("\"round[26]\"", "\"round[60]\"", "resource[", "round[N]"),
            (
                "default_preset = \"single-c10\"",
                "default_preset = \"nope\"",
                "default_preset",
                "nope",
            ),
            (
                "name = \"wifi_gpio0\"",
                "name = \"wifi_gpio1\"",
                "constraints",
                "wifi_gpio1",
            ),
            (
                "role = \"uart_tx\"",
                "role = \"output\"",
                "resource[",
                "needs its bits",
            ),
        ] {
            assert!(text.contains(from), "{from}");
            let b = parse(&text.replacen(from, to, 1)).unwrap();
            let (f, r) = b.check(&lpf).unwrap_err();
            assert!(f.starts_with(field) && r.contains(says), "{from}: {f}: {r}");
        }
        assert!(
            parse(&text.replacen("family = \"ecp5\"", "family = \"xc7\"", 1))
                .unwrap_err()
                .contains("unknown variant")
        );
        assert!(parse(&format!("{text}\ncolour = 1\n"))
            .unwrap_err()
            .contains("unknown field"));
        let e = Board::load(&root(), "nope").unwrap_err();
        assert!(e.to_string().contains("icebreaker, ulx3s"), "{e}");
    }

    #[test]
    fn constraint_files_name_their_pins() {
        let pcf = "set_io -nowarn clk 35 # x\n# set_io gone 1\nset_io led[0] 3\n";
        assert_eq!(
            constrained_pins(pcf, Family::Ice40)
                .into_iter()
                .collect::<Vec<_>>(),
            ["clk", "led[0]"]
        );
        let lpf = "LOCATE COMP \"led[1]\" SITE \"C2\";\nIOBUF PORT \"led[1]\" X;\n";
        assert_eq!(
            constrained_pins(lpf, Family::Ecp5)
                .into_iter()
                .collect::<Vec<_>>(),
            ["led[1]"]
        );
    }
}
