using CartCrossSell.Engine;
using CartCrossSell.Redis;
using CartCrossSell.Streams;
using CartCrossSell.Topologies.Hosting;
using CartCrossSell.Topologies.Learning;
using CartCrossSell.Topologies.Outcomes;
using CartCrossSell.Topologies.Recommending;
using Microsoft.Extensions.Configuration;

namespace CartCrossSell.Cli.Hosting;

/// <summary>
/// Layers configuration in a fixed order: defaults, the JSON file, environment variables (<c>CARTXSELL__</c>), then
/// command-line flags; binds each section to its options class; validation happens before anything starts.
/// </summary>
public static class ServiceConfiguration
{
    public static IConfiguration Load(FileInfo? file, IDictionary<string, string?>? overrides = null)
    {
        var builder = new ConfigurationBuilder();
        if (file is not null)
        {
            if (!file.Exists) throw new OptionsValidationException($"configuration file '{file.FullName}' does not exist");
            builder.AddJsonFile(file.FullName, optional: false);
        }
        builder.AddEnvironmentVariables("CARTXSELL__");
        if (overrides is not null) builder.AddInMemoryCollection(overrides.Where(kv => kv.Value is not null));
        return builder.Build();
    }

    public static CrossSellServiceOptions Bind(IConfiguration configuration)
    {
        var options = new CrossSellServiceOptions();
        BindInto(configuration, options);
        return options;
    }

    /// <summary>Binds every section into <paramref name="options"/> (the host's options pipeline fills its own instance).</summary>
    public static void BindInto(IConfiguration configuration, CrossSellServiceOptions options)
    {
        options.Kafka = Section<KafkaOptions>(configuration, KafkaOptions.SectionName);
        options.Streams = Section<StreamsOptions>(configuration, StreamsOptions.SectionName);
        options.Redis = Section<RedisStoreOptions>(configuration, RedisStoreOptions.SectionName);
        options.Learning = Section<LearningOptions>(configuration, "Learning");
        options.Learner = Section<LearnerOptions>(configuration, LearnerOptions.SectionName);
        options.Recommender = Section<RecommenderOptions>(configuration, RecommenderOptions.SectionName);
        options.Monitoring = Section<MonitoringOptions>(configuration, MonitoringOptions.SectionName);
        options.Experiment = Section<ExperimentOptions>(configuration, ExperimentOptions.SectionName);
        options.RankerTrainer = Section<Topologies.Training.RankerTrainerStreamOptions>(configuration, Topologies.Training.RankerTrainerStreamOptions.SectionName);
    }

    /// <summary>Binds the sections <c>cartxsell serve</c> reads (Kafka, Redis, Web) into <paramref name="options"/>.</summary>
    public static void BindInto(IConfiguration configuration, Web.WebServiceOptions options)
    {
        options.Kafka = Section<KafkaOptions>(configuration, KafkaOptions.SectionName);
        options.Redis = Section<RedisStoreOptions>(configuration, RedisStoreOptions.SectionName);
        options.Web = Section<Web.WebOptions>(configuration, Web.WebOptions.SectionName);
    }

    /// <summary>A section bound to its options class; a value that does not convert, or a key the class does not have, names the section.</summary>
    internal static T Section<T>(IConfiguration configuration, string name) where T : new()
    {
        try
        {
            return configuration.GetSection(name).Get<T>(o => o.ErrorOnUnknownConfiguration = true) ?? new T();
        }
        catch (InvalidOperationException e)
        {
            throw new OptionsValidationException($"configuration section '{name}': {e.Message}");
        }
    }
}
