// @mantle/ore public library API (named exports only): the per-cloud layer kola's cloud
// platforms and plume call, and the image conversions behind `ore image`.
export * from './commands/image-info.js';
export * from './commands/image-create-layout.js';
export { imageCommands, imageInfoCommand, imageCreateLayoutCommand } from './commands/image.js';
export * from './commands/profiles-list.js';
// Object storage (file/s3/gs/azure): also `@mantle/ore/storage`, which loads only the stores.
export * from './storage/index.js';

// image conversion
export * from './convert/formats.js';
export * from './convert/vhd-footer.js';
export * from './convert/tar-oldgnu.js';
export * from './convert/gzip-parallel.js';
export * from './convert/progress.js';
export { convertImage, DEFAULT_QEMU_SETTINGS } from './convert/convert-image.js';
export type { ConvertImageOptions, ConvertImageResult, QemuFormatSettings } from './convert/convert-image.js';
export { writeGceTarball, GCE_DISK_NAME } from './convert/write-gce.js';
export type { GceTarballOptions, GceTarballResult } from './convert/write-gce.js';
export { writeDisk, finishVhd } from './convert/write-disk.js';
export { allocatedRegions, nonZeroRegions, splitNonZero } from './convert/data-map.js';

// image_to_vm
export * from './vm/platforms.js';
export { growRoot, DISK_ALIGNMENT_SECTORS } from './vm/grow-disk.js';
export type { GrowResult } from './vm/grow-disk.js';
export { oemFiles, oemFsType, writeOemFiles } from './vm/oem.js';
export type { OemFile } from './vm/oem.js';
export { qemuLauncher, vmxConfig } from './vm/side-files.js';
export { toVm, imagePrefix } from './vm/to-vm.js';
export type { ToVmOptions, ToVmResult } from './vm/to-vm.js';

// clouds: naming rules, waiting, dry runs
export { checkCloudName, type NameKind } from './cloud/names.js';
export { pollUntil, sleep, type PollOptions } from './cloud/wait.js';
export { DryRun, type PlannedCall } from './cloud/dry-run.js';

export { withRetries, retryAfterMs, type RetryOptions } from './cloud/retry.js';

// GCE (Compute Engine): clients, operations, images, instances, gc, upload
export * from './gce/clients.js';
export * from './gce/operations.js';
export * from './gce/images.js';
export * from './gce/instances.js';
export * from './gce/maintenance.js';
export * from './gce/upload.js';

// AWS
export * from './aws/clients.js';
export * from './aws/tags.js';
export * from './aws/snapshots.js';
export * from './aws/images.js';
export * from './aws/maintenance.js';
export * from './aws/upload.js';
export * from './aws/instances.js';

// Azure Resource Manager: client, managed images, galleries and versions, gc
export * from './azure/arm-clients.js';
export * from './azure/images.js';
export * from './azure/gallery.js';
export * from './azure/gallery-sharing.js';
export * from './azure/maintenance.js';
export { uploadAzureBlob, isFixedVhd } from './azure/upload-blob.js';
export type { AzureUploadBlobOptions, AzureUploadBlobResult } from './azure/upload-blob.js';
export * from './azure/instances.js';
export * from './azure/network.js';

// clouds without an SDK (DigitalOcean API v2, OpenStack Keystone v3 + Glance v2): one JSON client
export * from './cloud/rest-client.js';
export * from './do/client.js';
export * from './do/images.js';
export * from './do/maintenance.js';
export * from './do/regions.js';
export * from './openstack/keystone.js';
export * from './openstack/images.js';
export * from './openstack/maintenance.js';

// ESX / vSphere: a small SOAP client (vSphere Web Services), OVA import through an HttpNfcLease
export * from './esx/soap-client.js';
export * from './esx/inventory.js';
export * from './esx/ova.js';
export * from './esx/create-base.js';
export * from './esx/remove-vms.js';
