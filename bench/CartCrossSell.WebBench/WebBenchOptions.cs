using System.Globalization;

/// <summary>
/// The bench's flags, every one checked before the broker, Redis or the web host start: a bad value is one line that
/// names its flag (exit 2), not a stack trace from the parse or a failure after the servers started; an unknown flag
/// is refused rather than ignored (a typo would otherwise run the whole bench on the defaults).
/// </summary>
public sealed record WebBenchOptions
{
    /// <summary>Concurrent readers (one HTTP connection each, for each HTTP client; the Redis reads share one multiplexer).</summary>
    public int Readers { get; init; } = 50;

    /// <summary>Reads per reader and round, after an unmeasured warm-up.</summary>
    public int Reads { get; init; } = 400;

    /// <summary>Carts written to Redis first; each read picks one at random.</summary>
    public int Carts { get; init; } = 1_000;

    /// <summary>Rounds of the four reads (direct, HTTP through HttpClient, HTTP from a thin client, the same on a host with Web:InlineScheduling) at each rate.</summary>
    public int Rounds { get; init; } = 2;

    /// <summary>Aggregate request rates to pace the readers at; 0 is a closed loop (every reader as fast as it can: throughput).</summary>
    public IReadOnlyList<int> Rates { get; init; } = [1_000, 5_000, 0];

    /// <summary><c>in-process</c>: the web host in the readers' process; <c>process</c>: <c>cartxsell serve</c> in its own.</summary>
    public string Host { get; init; } = "in-process";

    public static bool AsksForHelp(IEnumerable<string> args) => args.Any(a => a is "--help" or "-h");

    public static string Usage()
    {
        var d = new WebBenchOptions();
        return string.Create(CultureInfo.InvariantCulture, $"""
            The web host's extra hop: GET /v1/carts/{"{id}"}/add-ons beside the direct Redis GET, in one run (make bench-web).
              --readers N        concurrent readers (default {d.Readers})
              --reads N          reads per reader and round, after a warm-up (default {d.Reads})
              --carts N          carts in Redis, read at random (default {d.Carts})
              --rounds N         rounds of the four reads at each rate (default {d.Rounds})
              --rates R,R,...    aggregate GETs per second to pace the readers at, 0 = closed loop (default {string.Join(',', d.Rates)})
              --host H           in-process (the web host in this process) or process (cartxsell serve in its own) (default {d.Host})
              --help             this text
            """);
    }

    /// <summary>The options the arguments give, or null and the reason (naming the flag) in <paramref name="error"/>.</summary>
    public static WebBenchOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new WebBenchOptions();
        error = null;
        for (var i = 0; i < args.Count; i += 2)
        {
            var flag = args[i];
            if (flag is not ("--readers" or "--reads" or "--carts" or "--rounds" or "--rates" or "--host"))
            {
                error = $"unknown option '{flag}'";
                return null;
            }
            if (i + 1 >= args.Count)
            {
                error = $"{flag} needs a value";
                return null;
            }
            var value = args[i + 1];
            WebBenchOptions? next = flag switch
            {
                "--readers" when AtLeastOne(value) is { } n => options with { Readers = n },
                "--reads" when AtLeastOne(value) is { } n => options with { Reads = n },
                "--carts" when AtLeastOne(value) is { } n => options with { Carts = n },
                "--rounds" when AtLeastOne(value) is { } n => options with { Rounds = n },
                "--rates" when ParseRates(value) is { } rates => options with { Rates = rates },
                "--host" when value is "process" or "in-process" => options with { Host = value },
                _ => null,
            };
            if (next is null)
            {
                error = flag switch
                {
                    "--rates" => $"--rates takes comma-separated whole numbers of 0 or more (0: closed loop), not '{value}'",
                    "--host" => $"--host takes process or in-process, not '{value}'",
                    _ => $"{flag} takes a whole number of at least 1, not '{value}'",
                };
                return null;
            }
            options = next;
        }
        return options;
    }

    private static int? AtLeastOne(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : null;

    private static int[]? ParseRates(string value)
    {
        var parts = value.Split(',');
        var rates = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out rates[i])) return null;
        return rates;
    }
}
