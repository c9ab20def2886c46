"""dicomactors: a DICOM networking node on pykka actors."""
