"""What is measured: the build (:mod:`.build`) and the audit (:mod:`.audit`)."""
