using CartCrossSell.Load;

namespace CartCrossSell.Bench.Tests;

public sealed class ServiceProcessTests : IDisposable
{
    private readonly string _logs = Path.Combine(Path.GetTempPath(), $"bench-tests-{Guid.NewGuid():N}");

    public ServiceProcessTests() => Directory.CreateDirectory(_logs);

    public void Dispose() => Directory.Delete(_logs, recursive: true);

    [Fact]
    public async Task A_service_started_without_a_state_directory_gets_a_fresh_one_in_the_runs_folder_not_in_tmp()
    {
        // No such cartxsell.dll: dotnet exits at once; what matters is where the service was told to keep its state.
        var missing = Path.Combine(_logs, "missing.dll");
        await using (ServiceProcess.Start(missing, "recommender", "127.0.0.1:1", "127.0.0.1:1", _logs, name: "run1-survivor")) { }
        await using (ServiceProcess.Start(missing, "recommender", "127.0.0.1:1", "127.0.0.1:1", _logs, name: "run1-survivor")) { }
        // One the benchmark chose itself (bench-restart, bench-rows) is left as it is.
        var chosen = new Dictionary<string, string> { ["CARTXSELL__Streams__StateDirectory"] = Path.Combine(_logs, "state") };
        await using (ServiceProcess.Start(missing, "learner", "127.0.0.1:1", "127.0.0.1:1", _logs, chosen)) { }
        var states = Directory.GetDirectories(ServiceProcess.StateRoot(_logs));
        Assert.Equal(2, states.Length); // one each, so no process starts on another's state
        Assert.All(states, s => Assert.StartsWith("run1-survivor-", Path.GetFileName(s), StringComparison.Ordinal));
    }
}
