//! The seed pipeline on both cores of an RP2040 (Raspberry Pi Pico), with no allocator:
//!
//! ```text
//! 0..10_000 => (|x| (x * 2, x) => |(x2, x)| x2 - x + 1, |x| -x) => |x| sum += x
//! ```
//!
//! Core 0 builds the graph on its stack (`para_macros::pipeline!` on para-core alone). Core 1 is
//! started by rp2040-hal's `multicore` module (through the SIO inter-core FIFO), then serves jobs
//! from core 0 (para-core's `Harts`): both cores run para-core's scanning worker loop,
//! `Graph::work`, on the one graph, and `pipeline!` returns only when core 1 is done with it. The Cortex-M0+ has no compare-and-swap: para-core's
//! read-modify-write atomics go through portable-atomic's critical section, which rp2040-hal
//! implements with SIO hardware spinlock 31 (multi-core safe).
//!
//! The Pico's LED (GPIO 25) shows the outcome: steady on when the sum is right and both cores
//! processed items, blinking otherwise. See the README's "Embedded" section to flash it.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicUsize, Ordering};

use embedded_hal::digital::OutputPin;
use para_core::{Harts, Sleep};
use para_macros::pipeline;
use rp2040_hal::{
    self as hal,
    clocks::init_clocks_and_plls,
    multicore::{Multicore, Stack},
    pac,
    sio::CoreId,
    Sio, Watchdog,
};

/// The second-stage bootloader for the Pico's W25Q080 flash, in the first 256 bytes of flash.
#[link_section = ".boot2"]
#[used]
pub static BOOT2: [u8; 256] = rp2040_boot2::BOOT_LOADER_W25Q080;

/// The Pico's crystal.
const XOSC_HZ: u32 = 12_000_000;

/// Both cores; core 1 serves jobs from core 0. An idle core waits in `wfe` (Cortex-M0+); `sev`
/// wakes the other, and the event register latches a `sev` sent before the `wfe`, as
/// `para_core::Sleep` asks.
static CORES: Harts<2> = Harts::sleeping(Sleep {
    wait: |_core| cortex_m::asm::wfe(),
    wake: cortex_m::asm::sev,
});

/// Core 1's stack (words).
static CORE1_STACK: Stack<2048> = Stack::new();

/// Items of the first branch each core processed (only core `c` writes slot `c`).
static WORKED: [AtomicUsize; 2] = [const { AtomicUsize::new(0) }; 2];

fn core_id() -> usize {
    match Sio::core() {
        CoreId::Core0 => 0,
        CoreId::Core1 => 1,
    }
}

const N: i32 = 10_000;

/// Runs the seed pipeline on both cores; returns whether the result is right.
fn seed_on_both_cores() -> bool {
    let (mut sum, mut count) = (0i32, 0i32);
    // Both cores run the worker loop; `pipeline!` returns once core 1 is done with the graph.
    pipeline!(&CORES, capacity = 16, 0..N
    => (|x| {
            let me = &WORKED[core_id()];
            me.store(me.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            (x * 2, x)
        } => |(x2, x)| x2 - x + 1,
        |x: i32| -x)
    => |x| {
        sum += x;
        count += 1;
    });
    let worked = WORKED.each_ref().map(|w| w.load(Ordering::Relaxed));
    count == 2 * N && sum == N && worked.iter().all(|&w| w > 0)
}

#[hal::entry]
fn main() -> ! {
    let mut pac = pac::Peripherals::take().unwrap();
    let mut watchdog = Watchdog::new(pac.WATCHDOG);
    let clocks = init_clocks_and_plls(
        XOSC_HZ,
        pac.XOSC,
        pac.CLOCKS,
        pac.PLL_SYS,
        pac.PLL_USB,
        &mut pac.RESETS,
        &mut watchdog,
    );
    if clocks.is_err() {
        panic!("clock setup failed");
    }
    let mut sio = Sio::new(pac.SIO);
    let pins = hal::gpio::Pins::new(
        pac.IO_BANK0,
        pac.PADS_BANK0,
        sio.gpio_bank0,
        &mut pac.RESETS,
    );
    let mut led = pins.gpio25.into_push_pull_output();

    // Start core 1 (rp2040-hal resets it and hands it its stack and entry through the SIO FIFO).
    let mut mc = Multicore::new(&mut pac.PSM, &mut pac.PPB, &mut sio.fifo);
    let core1 = &mut mc.cores()[1];
    let stack = CORE1_STACK.take().unwrap();
    if core1.spawn(stack, || CORES.serve(1)).is_err() {
        panic!("core 1 did not start");
    }
    CORES.wait_online(usize::MAX);

    let ok = seed_on_both_cores();
    loop {
        let _ = led.set_high();
        if !ok {
            cortex_m::asm::delay(12_500_000);
            let _ = led.set_low();
            cortex_m::asm::delay(12_500_000);
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    cortex_m::interrupt::disable();
    loop {
        cortex_m::asm::wfe();
    }
}
