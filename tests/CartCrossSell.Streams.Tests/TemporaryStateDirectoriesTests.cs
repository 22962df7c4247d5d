using System.Diagnostics;
using CartCrossSell.Streams.Processing;
using Microsoft.Extensions.Logging.Abstractions;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;

namespace CartCrossSell.Streams.Tests;

/// <summary>
/// A process killed before it could delete its temporary state left it in /tmp for good; every start now deletes the
/// directories of processes that no longer run, and nothing else.
/// </summary>
public sealed class TemporaryStateDirectoriesTests : IDisposable
{
    private readonly string _root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"cartxsell-sweep-{Guid.NewGuid():N}")).FullName;

    [Fact]
    public void Only_the_directories_of_processes_that_no_longer_run_are_deleted()
    {
        var dead = Make($"{TemporaryStateDirectories.Prefix}4242-{Guid.NewGuid():N}", withState: true);
        var deadEmpty = Make($"{TemporaryStateDirectories.Prefix}4343-{Guid.NewGuid():N}", withState: false);
        var running = Make($"{TemporaryStateDirectories.Prefix}777-{Guid.NewGuid():N}", withState: true);
        var own = Make(Path.GetFileName(TemporaryStateDirectories.NewPath(_root)), withState: true);
        var notOurs = new[]
        {
            Make("cartxsell-state-notapid-1", withState: true),
            Make("cartxsell-state--1", withState: false),
            Make("cartxsell-statefile-4242-1", withState: false),
            Make("cartxsell-crash-4242", withState: true),
        };

        var deleted = TemporaryStateDirectories.DeleteAbandoned(_root, NullLogger.Instance, isRunning: pid => pid == 777);

        Assert.Equal(2, deleted);
        Assert.False(Directory.Exists(dead));
        Assert.False(Directory.Exists(deadEmpty));
        Assert.True(Directory.Exists(running));
        Assert.True(Directory.Exists(own)); // this process's own, even if the check said otherwise
        Assert.All(notOurs, directory => Assert.True(Directory.Exists(directory)));
    }

    [Fact]
    public void The_process_table_tells_a_stopped_process_from_a_running_one()
    {
        using var exited = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        exited.WaitForExit();
        using var sleeping = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            var ofExited = Make($"{TemporaryStateDirectories.Prefix}{exited.Id}-{Guid.NewGuid():N}", withState: true);
            var ofSleeping = Make($"{TemporaryStateDirectories.Prefix}{sleeping.Id}-{Guid.NewGuid():N}", withState: true);

            TemporaryStateDirectories.DeleteAbandoned(_root, NullLogger.Instance);

            Assert.False(Directory.Exists(ofExited));
            Assert.True(Directory.Exists(ofSleeping));
        }
        finally
        {
            sleeping.Kill();
        }
    }

    [Fact]
    public void A_link_under_the_name_is_left_with_what_it_points_to()
    {
        var elsewhere = Make("not-state", withState: true);
        var link = Directory.CreateSymbolicLink(Path.Combine(_root, $"{TemporaryStateDirectories.Prefix}4242-{Guid.NewGuid():N}"), elsewhere).FullName;

        var deleted = TemporaryStateDirectories.DeleteAbandoned(_root, NullLogger.Instance, isRunning: _ => false);

        Assert.Equal(0, deleted);
        Assert.True(Directory.Exists(link));
        Assert.True(File.Exists(Path.Combine(elsewhere, "CURRENT")));
    }

    [Theory]
    [InlineData("cartxsell-state-123-0f0e", 123)]
    [InlineData("cartxsell-state-1-x", 1)]
    [InlineData("cartxsell-state-123", null)]
    [InlineData("cartxsell-state-0-x", null)]
    [InlineData("cartxsell-state-+5-x", null)]
    [InlineData("cartxsell-state- 5-x", null)]
    [InlineData("cartxsell-state-99999999999-x", null)]
    [InlineData("other-123-x", null)]
    public void The_owner_is_read_from_the_name(string name, int? pid) =>
        Assert.Equal(pid, TemporaryStateDirectories.OwnerOf(name));

    [Fact]
    public async Task A_stream_group_without_a_state_directory_deletes_a_killed_processs_on_its_start()
    {
        using var exited = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        exited.WaitForExit();
        var abandoned = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(),
            $"{TemporaryStateDirectories.Prefix}{exited.Id}-{Guid.NewGuid():N}")).FullName;
        File.WriteAllText(Path.Combine(abandoned, "CURRENT"), "MANIFEST-000001");
        var builder = new StreamBuilder();
        builder.Stream<string, string, StringSerDes, StringSerDes>("cart-events").To("nowhere");
        var group = new TopologyGroup("sweep", builder.Build(), ["cart-events"], ["nowhere"]);

        await using var application = new StreamApplication(group, new KafkaOptions { BootstrapServers = "127.0.0.1:9" },
            new StreamsOptions(), NullLoggerFactory.Instance);

        Assert.False(Directory.Exists(abandoned));
    }

    private string Make(string name, bool withState)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_root, name)).FullName;
        if (withState) File.WriteAllText(Path.Combine(directory, "CURRENT"), "MANIFEST-000001");
        return directory;
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
