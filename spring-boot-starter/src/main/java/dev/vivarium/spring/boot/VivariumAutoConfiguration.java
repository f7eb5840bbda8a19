package dev.vivarium.spring.boot;

import dev.vivarium.servlet.VivariumFilter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.ServletContextInitializer;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

/**
 * Registers {@link VivariumFilter} in a servlet web application, configured by the {@code
 * vivarium.*} properties ({@link VivariumSettings}), with the application's {@link MeterRegistry}
 * for its metrics. One source for Spring Boot 3.5 and 4.0: {@code FilterRegistrationBean} and
 * {@code ServletContextInitializer} are in the same package in both.
 *
 * <pre>{@code
 * vivarium.routes=/hello -> hello.wasm
 * vivarium.deadline=2s
 * vivarium.kv.directory=/var/lib/myapp/kv
 * }</pre>
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({VivariumFilter.class, FilterRegistrationBean.class})
@ConditionalOnProperty(
        prefix = VivariumSettings.PREFIX,
        name = "enabled",
        havingValue = "true",
        matchIfMissing = true)
public class VivariumAutoConfiguration {
    /** The filter's name in the servlet context, and the health indicator's name. */
    public static final String NAME = "vivarium";

    /** The filter itself, for the health indicator and for code that wants its engine. */
    @Bean
    @ConditionalOnMissingBean
    public VivariumFilter vivariumFilter() {
        return new VivariumFilter();
    }

    @Bean
    @ConditionalOnMissingBean(name = "vivariumFilterRegistration")
    public FilterRegistrationBean<VivariumFilter> vivariumFilterRegistration(
            VivariumFilter filter, Environment environment) {
        Map<String, String> params = VivariumSettings.initParameters(environment);
        params.put(
                "guestDirectory",
                GuestDirectory.resolve(
                                params.get("guestDirectory"),
                                new PathMatchingResourcePatternResolver())
                        .toString());
        VivariumSettings.check(params);
        Binder binder = Binder.get(environment);
        List<String> patterns =
                binder.bind(
                                VivariumSettings.PREFIX + ".url-patterns",
                                Bindable.listOf(String.class))
                        .orElse(List.of("/*"));
        int order = binder.bind(VivariumSettings.PREFIX + ".filter-order", Integer.class).orElse(0);

        FilterRegistrationBean<VivariumFilter> registration = new FilterRegistrationBean<>(filter);
        registration.setName(NAME);
        registration.setInitParameters(params);
        registration.setUrlPatterns(patterns);
        registration.setOrder(order);
        return registration;
    }

    /**
     * Hands the application's {@link MeterRegistry} to the filter (a servlet context attribute it
     * reads at init); without a unique one the engine keeps its own.
     */
    @Bean
    public ServletContextInitializer vivariumMeterRegistry(
            ObjectProvider<MeterRegistry> registries) {
        return context -> {
            MeterRegistry registry = registries.getIfUnique();
            if (registry != null) {
                context.setAttribute(VivariumFilter.METER_REGISTRY_ATTRIBUTE, registry);
            }
        };
    }
}
