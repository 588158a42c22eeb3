using Xunit.Sdk;
using Xunit.v3;

// Each scenario starts the whole system; on 2 cores two at once would measure the machine, not the system.
[assembly: Parallelization(Mode = ParallelMode.None)]
