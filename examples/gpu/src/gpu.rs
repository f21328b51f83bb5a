//! The filter on a GPU through wgpu: one compute dispatch per batch of tiles, awaited as a
//! future, and the device thread that makes those futures complete.
//!
//! A batch goes: tiles → the slot's input buffer (`Queue::write_buffer`) → the compute pass →
//! a copy into the slot's readback buffer → `map_async`, whose callback answers a oneshot
//! channel the batch's future awaits. Nothing blocks a worker: the future is pending until the
//! callback runs. On native wgpu, callbacks run only inside `Device::poll` (or a later submit),
//! so a device thread polls, waiting on the GPU, whenever a readback is outstanding, and sleeps
//! on a condition variable otherwise.

use crate::image::{Filtered, Geometry, Tile};
use crate::kernel::THRESHOLD;
use futures_channel::oneshot;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

/// The WGSL compute shader: the same filter as `kernel::filter_tile`.
const SHADER: &str = include_str!("blur.wgsl");

/// The shader's `@workgroup_size` along x.
const WORKGROUP_WIDTH: u32 = 64;
/// The shader's `STRIP`: output rows per invocation.
const STRIP: u32 = 16;

/// Why there is no GPU to run on.
#[derive(Debug)]
pub enum GpuError {
    /// No adapter (no Vulkan, Metal or DX12 driver, or none that wgpu accepts).
    NoAdapter(wgpu::RequestAdapterError),
    /// The adapter refused the device.
    NoDevice(wgpu::RequestDeviceError),
    /// A batch needs bigger buffers, or more workgroups, than the adapter allows.
    TooBig(String),
}

impl fmt::Display for GpuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpuError::NoAdapter(e) => write!(
                f,
                "no GPU adapter found ({e}); this example needs a Vulkan, Metal or DX12 driver \
                 (on Debian without a GPU: apt install mesa-vulkan-drivers, Mesa's lavapipe)"
            ),
            GpuError::NoDevice(e) => write!(f, "the GPU adapter refused a device: {e}"),
            GpuError::TooBig(what) => write!(f, "{what}"),
        }
    }
}

/// A device with the filter's compute pipeline, running batches of up to `max_batch` tiles.
pub struct Gpu {
    /// Name, backend, device type and driver of the adapter in use.
    pub info: wgpu::AdapterInfo,
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: wgpu::ComputePipeline,
    params: wgpu::Buffer,
    geometry: Geometry,
    max_batch: usize,
    /// Buffers of batches that have finished, for the next ones: as many are ever created as
    /// batches are in flight at once.
    slots: Mutex<Vec<Slot>>,
    poller: Arc<Poller>,
    device_thread: Option<JoinHandle<()>>,
    dispatches: AtomicUsize,
    slots_created: AtomicUsize,
}

/// What [`Gpu::counts`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    /// Compute dispatches (batches) so far.
    pub dispatches: usize,
    /// The most batches in flight at once (the buffer sets created).
    pub most_in_flight: usize,
    /// `Device::poll` calls of the device thread.
    pub polls: usize,
}

/// One batch's buffers and their bind group.
struct Slot {
    input: wgpu::Buffer,
    output: wgpu::Buffer,
    readback: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
}

impl Gpu {
    /// The first adapter wgpu offers (any backend; `WGPU_BACKEND=vulkan` and the like narrow the
    /// choice), its device, the compiled shader, and the device thread.
    pub fn new(geometry: Geometry, max_batch: usize) -> Result<Gpu, GpuError> {
        let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle();
        descriptor.backends = descriptor.backends.with_env();
        let instance = wgpu::Instance::new(descriptor);
        let options = wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        };
        // Start-up, once: blocking here is fine.
        let adapter =
            pollster::block_on(instance.request_adapter(&options)).map_err(GpuError::NoAdapter)?;
        let limits = adapter.limits();
        let batch_bytes = (max_batch * geometry.input_pixels() * 4) as u64;
        if batch_bytes
            > limits
                .max_storage_buffer_binding_size
                .min(limits.max_buffer_size)
        {
            return Err(GpuError::TooBig(format!(
                "a batch of {max_batch} tiles is {batch_bytes} bytes, more than the adapter's \
                 storage buffers hold ({} bytes)",
                limits
                    .max_storage_buffer_binding_size
                    .min(limits.max_buffer_size)
            )));
        }
        let groups = geometry
            .width
            .div_ceil(WORKGROUP_WIDTH as usize)
            .max(geometry.tile_rows.div_ceil(STRIP as usize))
            .max(max_batch);
        if groups > limits.max_compute_workgroups_per_dimension as usize {
            return Err(GpuError::TooBig(format!(
                "{groups} workgroups along one dimension, more than the adapter's {}",
                limits.max_compute_workgroups_per_dimension
            )));
        }
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("para-gpu-example"),
            required_limits: limits,
            ..Default::default()
        }))
        .map_err(GpuError::NoDevice)?;

        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("blur.wgsl"),
            source: wgpu::ShaderSource::Wgsl(SHADER.into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("blur"),
            layout: None, // derived from the shader
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        let params = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("params"),
            size: 16,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let words = [
            geometry.width as u32,
            geometry.tile_rows as u32,
            THRESHOLD,
            0,
        ];
        queue.write_buffer(&params, 0, bytemuck::cast_slice(&words));

        let poller = Arc::new(Poller::default());
        let device_thread = {
            let (device, poller) = (device.clone(), poller.clone());
            std::thread::Builder::new()
                .name("gpu-device".into())
                .spawn(move || poller.run(&device))
                .expect("cannot start the GPU device thread")
        };
        Ok(Gpu {
            info: adapter.get_info(),
            device,
            queue,
            pipeline,
            params,
            geometry,
            max_batch,
            slots: Mutex::new(Vec::new()),
            poller,
            device_thread: Some(device_thread),
            dispatches: AtomicUsize::new(0),
            slots_created: AtomicUsize::new(0),
        })
    }

    /// Filters a batch of tiles (1 to `max_batch`) in one dispatch: one output per tile, in
    /// order. The future waits for the GPU without blocking the thread that polls it.
    pub async fn process(&self, tiles: &[Tile]) -> Vec<Filtered> {
        assert!(
            (1..=self.max_batch).contains(&tiles.len()),
            "a batch of {} tiles (1 to {} fit)",
            tiles.len(),
            self.max_batch
        );
        let slot = self.take_slot();
        let (input_bytes, output_bytes) = (
            self.geometry.input_pixels() * 4,
            self.geometry.output_pixels() * 4,
        );
        for (i, tile) in tiles.iter().enumerate() {
            // A short last tile leaves the end of its space stale: the shader computes rows
            // from it that are dropped below.
            self.queue.write_buffer(
                &slot.input,
                (i * input_bytes) as u64,
                bytemuck::cast_slice(&tile.pixels),
            );
        }
        let batch_output = (tiles.len() * output_bytes) as u64;
        let mut encoder = self.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &slot.bind_group, &[]);
            pass.dispatch_workgroups(
                (self.geometry.width as u32).div_ceil(WORKGROUP_WIDTH),
                (self.geometry.tile_rows as u32).div_ceil(STRIP),
                tiles.len() as u32,
            );
        }
        encoder.copy_buffer_to_buffer(&slot.output, 0, &slot.readback, 0, batch_output);
        self.queue.submit([encoder.finish()]);
        self.dispatches.fetch_add(1, Ordering::Relaxed);

        let (done, mapped) = oneshot::channel();
        // Counted before the callback exists, so the count never goes below zero: the callback
        // may run on any thread that polls or submits, as soon as it is registered.
        self.poller.expect();
        let poller = self.poller.clone();
        slot.readback
            .map_async(wgpu::MapMode::Read, ..batch_output, move |result| {
                poller.arrived();
                // The future may be gone (a run that stopped): then nobody wants the result.
                let _ = done.send(result);
            });
        match mapped.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("reading the GPU's results back failed: {e}"),
            Err(oneshot::Canceled) => panic!("wgpu dropped a readback without answering"),
        }

        let outputs = {
            let view = slot
                .readback
                .slice(..batch_output)
                .get_mapped_range()
                .expect("the readback buffer is mapped: its map_async succeeded");
            let pixels: &[u32] = bytemuck::cast_slice(&view);
            pixels
                .chunks_exact(self.geometry.output_pixels())
                .zip(tiles)
                .map(|(out, tile)| Filtered {
                    index: tile.index,
                    pixels: out[..tile.rows * self.geometry.width].to_vec(),
                })
                .collect()
        };
        slot.readback.unmap();
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(slot);
        outputs
    }

    /// Dispatches so far, the batches' buffer sets created (the most batches in flight), and
    /// the device thread's polls (about one per dispatch when it sleeps while idle).
    pub fn counts(&self) -> Counts {
        Counts {
            dispatches: self.dispatches.load(Ordering::Relaxed),
            most_in_flight: self.slots_created.load(Ordering::Relaxed),
            polls: self.poller.polls.load(Ordering::Relaxed),
        }
    }

    /// A finished batch's buffers, or new ones.
    fn take_slot(&self) -> Slot {
        if let Some(slot) = self
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
        {
            return slot;
        }
        self.slots_created.fetch_add(1, Ordering::Relaxed);
        let buffer = |label, pixels: usize, usage| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: (self.max_batch * pixels * 4) as u64,
                usage,
                mapped_at_creation: false,
            })
        };
        use wgpu::BufferUsages as U;
        let input = buffer(
            "tiles",
            self.geometry.input_pixels(),
            U::STORAGE | U::COPY_DST,
        );
        let output = buffer(
            "filtered",
            self.geometry.output_pixels(),
            U::STORAGE | U::COPY_SRC,
        );
        let readback = buffer(
            "readback",
            self.geometry.output_pixels(),
            U::MAP_READ | U::COPY_DST,
        );
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &self.pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: self.params.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: input.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: output.as_entire_binding(),
                },
            ],
        });
        Slot {
            input,
            output,
            readback,
            bind_group,
        }
    }
}

impl Drop for Gpu {
    /// Stops the device thread and joins it.
    fn drop(&mut self) {
        self.poller.stop();
        if let Some(thread) = self.device_thread.take() {
            // Its panic (a failed poll) goes on, unless this drop is part of another's unwinding.
            if let Err(panic) = thread.join() {
                if !std::thread::panicking() {
                    std::panic::resume_unwind(panic);
                }
            }
        }
    }
}

/// What the device thread waits for: readbacks outstanding, or the end.
#[derive(Default)]
struct Poller {
    state: Mutex<PollerState>,
    wake: Condvar,
    polls: AtomicUsize,
}

#[derive(Default)]
struct PollerState {
    /// `map_async` calls whose callbacks have not run yet.
    outstanding: usize,
    stop: bool,
}

impl Poller {
    fn lock(&self) -> std::sync::MutexGuard<'_, PollerState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A readback is about to be requested.
    fn expect(&self) {
        let mut state = self.lock();
        state.outstanding += 1;
        if state.outstanding == 1 {
            self.wake.notify_one();
        }
    }

    /// A readback's callback has run.
    fn arrived(&self) {
        self.lock().outstanding -= 1;
    }

    fn stop(&self) {
        self.lock().stop = true;
        self.wake.notify_one();
    }

    /// The device thread: while readbacks are outstanding, wait for the GPU to finish the
    /// latest submission (`poll` runs the callbacks of what finished); otherwise sleep.
    fn run(&self, device: &wgpu::Device) {
        loop {
            {
                let mut state = self.lock();
                while state.outstanding == 0 && !state.stop {
                    state = self
                        .wake
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                if state.stop {
                    // No new work comes after the stop; let what was submitted finish.
                    drop(state);
                    let _ = device.poll(wgpu::PollType::wait_indefinitely());
                    return;
                }
            }
            // Between a submission and its `map_async` this may find nothing to wait for and
            // return at once; the loop then polls again (a few microseconds at most).
            self.polls.fetch_add(1, Ordering::Relaxed);
            if let Err(e) = device.poll(wgpu::PollType::wait_indefinitely()) {
                panic!("waiting for the GPU failed: {e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Image;
    use crate::kernel::filter_image;

    /// Whole and partial batches, a short last tile, a width that is no multiple of the
    /// workgroup's: the GPU's pixels equal the direct CPU filter's.
    #[test]
    fn the_gpu_equals_the_cpu() {
        for (width, height, tile_rows, max_batch) in [(100, 21, 4, 3), (64, 8, 8, 1), (7, 5, 2, 4)]
        {
            let geometry = Geometry {
                width,
                height,
                tile_rows,
            };
            let image = Image::generate(geometry, 3);
            let gpu = Gpu::new(geometry, max_batch).unwrap_or_else(|e| panic!("{e}"));
            let tiles: Vec<Tile> = (0..geometry.tiles()).map(|i| image.tile(i)).collect();
            let mut pixels = Vec::new();
            for batch in tiles.chunks(max_batch) {
                for (tile, out) in batch.iter().zip(pollster::block_on(gpu.process(batch))) {
                    assert_eq!(out.index, tile.index);
                    pixels.extend(out.pixels);
                }
            }
            let first_difference = pixels
                .iter()
                .zip(filter_image(&image))
                .position(|(a, b)| *a != b);
            assert_eq!(
                first_difference, None,
                "{width}x{height}, tiles of {tile_rows}, batches of {max_batch}"
            );
            assert_eq!(pixels.len(), width * height);
            let counts = gpu.counts();
            assert_eq!(
                (counts.dispatches, counts.most_in_flight),
                (geometry.tiles().div_ceil(max_batch), 1)
            );
        }
    }
}
