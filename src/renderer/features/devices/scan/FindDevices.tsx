import { useState } from 'react';
import { ScanDialog } from './ScanDialog.tsx';
import './scan.css';

/** The Devices panel's "Find devices…" button and its network scan dialog. */
export function FindDevices() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="pb-btn pb-btn--small pb-scan__open" onClick={() => setOpen(true)} title="Scan the network for Modbus, OPC UA and MQTT devices">
        Find devices…
      </button>
      {open && <ScanDialog onClose={() => setOpen(false)} />}
    </>
  );
}
