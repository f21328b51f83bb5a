//! Picks the memory layout and the linker scripts of the machine QEMU emulates for the target.
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap();
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-link-search={}", out.display());
    let link = |arg: &str| println!("cargo:rustc-link-arg={arg}");
    match arch.as_str() {
        // qemu-system-riscv{32,64} -machine virt -bios none: RAM at 0x8000_0000, every hart
        // starts at the ELF entry. riscv-rt gives each hart a stack of `_hart_stack_size`.
        "riscv32" | "riscv64" => {
            fs::write(
                out.join("memory.x"),
                "MEMORY { RAM : ORIGIN = 0x80000000, LENGTH = 16M }
REGION_ALIAS(\"REGION_TEXT\", RAM);
REGION_ALIAS(\"REGION_RODATA\", RAM);
REGION_ALIAS(\"REGION_DATA\", RAM);
REGION_ALIAS(\"REGION_BSS\", RAM);
REGION_ALIAS(\"REGION_HEAP\", RAM);
REGION_ALIAS(\"REGION_STACK\", RAM);
_max_hart_id = 3;
_hart_stack_size = 256K;
",
            )
            .unwrap();
            link("-Tmemory.x");
            link("-Tlink.x");
        }
        // qemu-system-aarch64 -machine virt: RAM at 0x4000_0000, the device tree at its start;
        // the image is linked at 0x4008_0000. aarch64-rt's image.ld places the sections.
        "aarch64" => {
            fs::write(
                out.join("memory.ld"),
                "MEMORY { image : ORIGIN = 0x40080000, LENGTH = 16M }\n",
            )
            .unwrap();
            link("-Timage.ld");
            link("-Tmemory.ld");
        }
        // qemu-system-arm -machine microbit: nRF51822, 256 KiB flash, 16 KiB RAM.
        "arm" => {
            fs::write(
                out.join("memory.x"),
                "MEMORY {
  FLASH : ORIGIN = 0x00000000, LENGTH = 256K
  RAM : ORIGIN = 0x20000000, LENGTH = 16K
}
",
            )
            .unwrap();
            link("--nmagic");
            link("-Tlink.x");
        }
        other => panic!("para-qemu runs on riscv32, riscv64, aarch64 and thumbv6m, not {other}"),
    }
}
