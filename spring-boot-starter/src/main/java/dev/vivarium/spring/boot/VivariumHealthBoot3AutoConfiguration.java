package dev.vivarium.spring.boot;

import dev.vivarium.servlet.VivariumFilter;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/**
 * The {@code vivarium} health indicator on Spring Boot 3 ({@code
 * org.springframework.boot.actuate.health}); {@code management.health.vivarium.enabled=false} turns
 * it off.
 */
@AutoConfiguration(after = VivariumAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
@ConditionalOnBean(VivariumFilter.class)
@ConditionalOnEnabledHealthIndicator(VivariumAutoConfiguration.NAME)
public class VivariumHealthBoot3AutoConfiguration {
    @Bean(name = "vivariumHealthIndicator")
    public HealthIndicator vivariumHealthIndicator(VivariumFilter filter) {
        return () -> {
            VivariumHealth h = VivariumHealth.of(filter);
            return (h.up() ? Health.up() : Health.down()).withDetails(h.details()).build();
        };
    }
}
