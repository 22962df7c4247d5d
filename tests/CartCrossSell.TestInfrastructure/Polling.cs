namespace CartCrossSell.TestInfrastructure;

/// <summary>Waits for a condition the way the tests on a broker do: polled every 250 ms, failing with what was awaited.</summary>
public static class Polling
{
    public static Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) => UntilAsync(condition, timeout, () => what);

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(250);
        }
        throw new TimeoutException($"within {timeout.TotalSeconds} s: {what()}");
    }
}
